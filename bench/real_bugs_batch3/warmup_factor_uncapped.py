"""A linear warmup written as ``LambdaLR(opt, lambda step: step / warmup_steps)`` without
capping the factor at 1: after the warmup the learning rate keeps growing linearly, to 10x
and more of the configured value, until training blows up.

Source: https://github.com/Adit-Jain-srm/NightmareNet/pull/158 (the review of
``warmup_lambda(current_step): return current_step / warmup_steps`` passed to ``LambdaLR``).
Re-implemented on Hastie's problem with an MLP, SGD with momentum and the scheduler stepped per
batch. Fix: ``min(1, step / warmup)`` followed by a cosine decay that legitimately ends at ~0 on
the last step.
"""

import math
from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = "https://github.com/Adit-Jain-srm/NightmareNet/pull/158"
EXPECTED = ("lr_schedule_unbounded",)
BLOCKS = True
WARMUP = 50


def program(seed: int, bug: bool):
    d = load("hastie", seed)
    torch.manual_seed(seed)
    model = mlp(10, 2, hidden=64)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    epochs, batch_size = 30, 32
    total = epochs * math.ceil(len(d.x_train) / batch_size)

    def factor(s):
        if bug:
            return s / WARMUP
        if s < WARMUP:
            return s / WARMUP
        return 0.5 * (1 + math.cos(math.pi * (s - WARMUP) / (total - WARMUP)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        sched.step()
        return loss, out

    return train(model, opt, loss_fn, d, seed=seed, epochs=epochs, step=step)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
