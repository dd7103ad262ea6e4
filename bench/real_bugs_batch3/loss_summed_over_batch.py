"""``CrossEntropyLoss(reduction="sum")`` with a learning rate picked for the mean: every step is
the batch size (64) times larger than intended and SGD with momentum diverges.

Source: https://github.com/PreferredAI/cornac/pull/537 (``nn.BCELoss(reduction="sum")``;
"Normalizing the loss by the size of mini-batch will help learning be more stable, less
sensitive to the size of mini-batch"). Re-implemented on the wine data (13 features, 3
classes) with an MLP, batches of 64 and SGD with momentum at lr 0.05. Fix: the default mean
reduction.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = "https://github.com/PreferredAI/cornac/pull/537"
EXPECTED = ("lr_too_high", "exploding_gradients", "nan_loss")
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("wine", seed)
    torch.manual_seed(seed)
    model = mlp(13, 3, hidden=32)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss(reduction="sum" if bug else "mean")
    return train(model, opt, loss_fn, d, seed=seed, epochs=40, batch_size=64)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
