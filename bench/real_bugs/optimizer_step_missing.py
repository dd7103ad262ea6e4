"""``optimizer.step()`` is never called: the loop steps the LR scheduler instead.

Source: https://github.com/pytorch/pytorch/issues/3814 ("Scheduler.step() doesn't perform
optimizer.step()": the user called only the scheduler's step and "wondered why the hell nothing
works, until took a look on weights change between steps"). Re-implemented on two moons with
Adam and a StepLR. Fix: call ``optimizer.step()`` after ``loss.backward()``.
"""

import warnings
from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/pytorch/pytorch/issues/3814"
EXPECTED = ("optimizer_not_stepping", "params_not_updating")
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("moons", seed)
    torch.manual_seed(seed)
    model = mlp(2, 2, hidden=32)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        if not bug:
            opt.step()
        return loss, out

    def epoch_end(epoch):
        with warnings.catch_warnings():  # torch warns about the missing optimizer.step()
            warnings.simplefilter("ignore")
            sched.step()

    return train(model, opt, loss_fn, d, seed=seed, epochs=15, step=step, epoch_end=epoch_end)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
