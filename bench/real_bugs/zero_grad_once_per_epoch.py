"""Gradients accumulate over an epoch: ``optimizer.zero_grad()`` sits in the epoch loop, not the
batch loop.

Source: https://github.com/salesforce/corr_based_prediction/issues/1 ("the zero_grad is
outside the training stage, the gradients will be accumulated along the training data"); the
pattern is named in https://github.com/pytorch/pytorch/issues/47175 ("calling it at the
beginning of each epoch instead of the beginning of each iteration"). Re-implemented on digits with
SGD with momentum. Fix: zero the gradients before every backward.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/salesforce/corr_based_prediction/issues/1"
EXPECTED = ("zero_grad_missing",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed)
    torch.manual_seed(seed)
    model = mlp(64, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        if not bug:
            opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        return loss, out

    def epoch_end(epoch):
        if bug:
            opt.zero_grad()  # once per epoch: 34 batches of gradients pile up in between

    return train(model, opt, loss_fn, d, seed=seed, epochs=12, step=step, epoch_end=epoch_end)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
