"""The minority class is oversampled (rows duplicated) before the train/validation split, so
copies of the same rows sit on both sides; the "best" checkpoint is then chosen on a
validation set that rewards memorizing, and the run keeps an overfitted model.

Source: https://machinelearningaptitude.com/topics/machine-learning/what-are-the-drawbacks-of-oversampling-minority-class-in-imbalanced-class-problem-of-machine-learning/
("If validation split is done after oversampling has been done on the original bigger
training set, it leads to overfitting and bad performance on the test set"). Re-implemented on
breast-cancer features with noisy labels, a wide MLP trained long with Adam, and the
checkpoint of best validation accuracy kept. Fix: split first, oversample the training part.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, mlp, train

SOURCE = (
    "https://machinelearningaptitude.com/topics/machine-learning/what-are-the-drawbacks-of-"
    "oversampling-minority-class-in-imbalanced-class-problem-of-machine-learning/"
)
EXPECTED = ("split_leakage",)
BLOCKS = False


def oversample(x, y, g, times: int = 3):
    minority = (y == 0).nonzero().flatten()
    extra = minority.repeat(times - 1)
    idx = torch.cat([torch.arange(len(y)), extra])
    idx = idx[torch.randperm(len(idx), generator=g)]
    return x[idx], y[idx]


def program(seed: int, bug: bool):
    d = load("quantiles", seed)
    g = torch.Generator().manual_seed(seed + 3)
    # the labels as collected: 25% of the training and validation rows mislabelled
    x = torch.cat([d.x_train, d.x_val])
    y = torch.cat([d.y_train, d.y_val])
    flip = torch.rand(len(y), generator=g) < 0.25
    y = torch.where(flip, torch.randint(0, 3, (len(y),), generator=g), y)
    cut = len(d.x_train)
    if bug:  # oversample everything, then split
        x, y = oversample(x, y, g)
        cut = int(len(y) * 0.75)
        x_tr, y_tr, x_va, y_va = x[:cut], y[:cut], x[cut:], y[cut:]
    else:  # split, then oversample the training part only
        x_tr, y_tr = oversample(x[:cut], y[:cut], g)
        x_va, y_va = x[cut:], y[cut:]
    torch.manual_seed(seed)
    model = mlp(6, 3, hidden=256, depth=3)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=60,
        x_train=x_tr,
        y_train=y_tr,
        x_val=x_va,
        y_val=y_va,
        select_best=True,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
