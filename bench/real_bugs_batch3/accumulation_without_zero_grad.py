"""Gradient accumulation over 4 micro-batches with ``optimizer.step()`` every 4th micro-batch
but no ``optimizer.zero_grad()`` after it: the gradients keep summing over the whole run, so
each step applies the sum of every gradient seen so far.

Source: https://github.com/meta-pytorch/torchforge/pull/71 ("Fixing a dumb bug where we weren't
zeroing grad on optimizers after each step"). Re-implemented on Friedman #2 regression
(standardized) with an MLP and SGD with momentum; as a user who reads "call doctor.step after
optimizer.step()" literally, both programs call ``doctor.step`` only after the optimizer
stepped, with that micro-batch's loss. Fix: ``zero_grad()`` after each step (and the loss
divided by 4); the fixed program is a correct accumulation loop.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = "https://github.com/meta-pytorch/torchforge/pull/71"
EXPECTED = ("zero_grad_missing",)
BLOCKS = True
ACCUM = 4


def program(seed: int, bug: bool):
    d = load("friedman2", seed)
    torch.manual_seed(seed)
    model = mlp(4, 1, hidden=64)
    model.append(nn.Flatten(0))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.MSELoss()
    calls = {"n": 0}
    opt.zero_grad()

    def step(xb, yb):
        out = model(xb)
        loss = loss_fn(out, yb)
        (loss / ACCUM).backward()
        calls["n"] += 1
        if calls["n"] % ACCUM:
            return loss, out, False
        opt.step()
        if not bug:
            opt.zero_grad()
        return loss, out, True

    return train(
        model,
        opt,
        loss_fn,
        d,
        seed=seed,
        epochs=30,
        batch_size=8,
        task="regression",
        quality="r2",
        step=step,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
