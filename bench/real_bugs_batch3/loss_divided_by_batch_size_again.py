"""The loss is divided by the batch size although ``CrossEntropyLoss`` already averages over the
batch: every gradient is 64x smaller than intended, so SGD at its usual learning rate crawls.

Source: https://github.com/ShusenTang/Dive-into-DL-PyTorch/issues/75 (dividing by batch_size
again when "CrossEntropyLoss() already averages over batch_size ... training is slower").
Re-implemented on an imbalanced 6-class problem with an MLP, batches of 64 and SGD with
momentum. Fix: drop the extra division.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = "https://github.com/ShusenTang/Dive-into-DL-PyTorch/issues/75"
EXPECTED = ("lr_too_low",)
BLOCKS = True
BATCH = 64


def program(seed: int, bug: bool):
    d = load("imbalanced6", seed)
    torch.manual_seed(seed)
    model = mlp(16, 6, hidden=64)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    ce = nn.CrossEntropyLoss()

    def loss_fn(out, y):
        return ce(out, y) / BATCH if bug else ce(out, y)

    return train(model, opt, loss_fn, d, seed=seed, epochs=15, batch_size=BATCH)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
