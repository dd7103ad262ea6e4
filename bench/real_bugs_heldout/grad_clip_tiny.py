"""Gradient clipping with ``max_norm=1e-6``: every update is shrunk to a norm of lr * 1e-6,
so training crawls no matter what the learning rate says.

Source: https://github.com/twtygqyy/pytorch-vdsr/issues/2 ("if you select a very small value,
let's say 0.0001 as threshold, then it will take much longer time for the parameters to be
converged"). Re-implemented on digits images with a small CNN and SGD with momentum.
Fix: ``max_norm=1.0``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, train

SOURCE = "https://github.com/twtygqyy/pytorch-vdsr/issues/2"
EXPECTED = ("lr_too_low",)
BLOCKS = True


def cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 10),
    )


def program(seed: int, bug: bool):
    d = load("digits_img", seed)
    torch.manual_seed(seed)
    model = cnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1e-6 if bug else 1.0)
        opt.step()
        return loss, out

    return train(model, opt, loss_fn, d, seed=seed, epochs=8, step=step)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
