"""``LambdaLR(opt, lambda epoch: base_lr * 0.9 ** epoch)``: the lambda returns a learning rate,
but LambdaLR multiplies the optimizer's LR by what it returns, so the LR is the base LR squared
(0.02 -> 0.0004) from the first step on.

Source: https://github.com/lhoyer/MIC/issues/60 ("The lambda in LambdaLR is supposed to return
the factor to multiply with the base learning rate, so it should not include a multiplication
by args.lr. This causes the base lr to be multiplied twice (for example, it produces 0.0001
instead of 0.01)"). Re-implemented on digits as 1x8x8 images with a small CNN and plain SGD,
the scheduler stepped once per epoch. Fix: the lambda returns the factor ``0.9 ** epoch``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import load, small_cnn, train

SOURCE = "https://github.com/lhoyer/MIC/issues/60"
EXPECTED = ("lr_too_low",)
BLOCKS = True
BASE_LR = 0.02


def program(seed: int, bug: bool):
    d = load("digits_img", seed)
    torch.manual_seed(seed)
    model = small_cnn()
    opt = torch.optim.SGD(model.parameters(), lr=BASE_LR)
    if bug:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: BASE_LR * 0.9**e)
    else:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.9**e)
    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=12,
        batch_size=32,
        epoch_end=lambda epoch, logs: sched.step(),
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
