"""An ``ExponentialLR(gamma=0.8)`` meant per epoch, stepped per batch: the LR is ~0 within
the first epoch.

Source: https://github.com/hazdzz/stgcn/issues/18 ("the position of scheduler.step() is error
... which leads to the learning-rate decrease too fast"; the answer: 0.95^100 = 0.0059).
Re-implemented on two circles with Adam (the LR falls 20% per epoch as intended). Fix: step the scheduler once per epoch.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/hazdzz/stgcn/issues/18"
EXPECTED = ("lr_schedule_collapsed",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("circles", seed)
    torch.manual_seed(seed)
    model = mlp(2, 2, hidden=32)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.8)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        if bug:
            sched.step()
        return loss, out

    def epoch_end(epoch):
        if not bug:
            sched.step()

    return train(model, opt, loss_fn, d, seed=seed, epochs=20, step=step, epoch_end=epoch_end)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
