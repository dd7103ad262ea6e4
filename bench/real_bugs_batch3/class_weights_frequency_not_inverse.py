"""Class weights for an imbalanced problem computed as each class's frequency instead of its
inverse: the loss weights the majority class up and the rare classes down, the opposite of
what was intended, so the rare classes are hardly ever predicted.

Source: https://github.com/PRBonn/lidar-bonnetal/issues/48 ("the weights are calculated ...
w_c = 1/(content + epsilon), where content is the frequency of the class ... Doesn't it give
bigger weights for the classes with more points?"). Re-implemented on a 6-class problem with
shares 50/20/12/8/6/4 %, an MLP and Adam; quality is balanced accuracy (the mean per-class
recall), what the weighting was for. Fix: weights proportional to 1 / frequency.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = "https://github.com/PRBonn/lidar-bonnetal/issues/48"
EXPECTED = ("class_weights_inverted", "class_imbalance")
BLOCKS = False


def program(seed: int, bug: bool):
    d = load("imbalanced6", seed)
    freq = torch.bincount(d.y_train, minlength=6).float() / len(d.y_train)
    weight = freq if bug else 1.0 / freq
    weight = weight / weight.sum() * 6
    torch.manual_seed(seed)
    model = mlp(16, 6, hidden=16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss(weight=weight)
    return train(model, opt, loss_fn, d, seed=seed, epochs=15, quality="balanced_accuracy")


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
