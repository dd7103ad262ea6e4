"""``ExponentialLR(optimizer, gamma=0.1)`` stepped once per epoch, read as "decay by 10% per
epoch": it multiplies the learning rate by 0.1 every epoch, so after two epochs SGD barely
moves and the run stops learning long before it has converged.

Source: https://github.com/novioleo/FOTS/issues/13 ("But my learning rate is dropping quite
fast ... I was expecting the learning rate to be 0.0001 - 1e-05 = 9e-05 after 50 epochs, but
by 100 epochs, it had gone down to about 2.1e-07"). Re-implemented on digits (pixels scaled to
0..1) with an MLP and plain SGD. Fix: ``gamma=0.9``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = "https://github.com/novioleo/FOTS/issues/13"
EXPECTED = ("lr_schedule_collapsed",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits_raw", seed)
    x, xv, xt = d.x_train / 16.0, d.x_val / 16.0, d.x_test / 16.0
    torch.manual_seed(seed)
    model = mlp(64, 10, hidden=64)
    opt = torch.optim.SGD(model.parameters(), lr=0.02)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.1 if bug else 0.9)
    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=20,
        x_train=x,
        x_val=xv,
        x_test=xt,
        epoch_end=lambda epoch, logs: sched.step(),
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
