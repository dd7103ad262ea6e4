"""A per-epoch ``StepLR`` stepped after every batch: the LR is ~0 within the first epoch.

Source: https://github.com/ivadomed/ivadomed/pull/55 ("Scheduler was incorrectly stepped in the
batch loop instead of in the epoch loop ... causing the LR to be updated after each batch").
Re-implemented on digits with SGD and StepLR(step_size=2, gamma=0.5), meant as "halve every 2
epochs". Fix: step the scheduler once per epoch.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/ivadomed/ivadomed/pull/55"
EXPECTED = ("lr_schedule_collapsed",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed)
    torch.manual_seed(seed)
    model = mlp(64, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
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

    return train(model, opt, loss_fn, d, seed=seed, epochs=12, step=step, epoch_end=epoch_end)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
