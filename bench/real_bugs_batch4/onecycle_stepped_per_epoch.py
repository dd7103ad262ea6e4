"""``OneCycleLR(opt, max_lr, epochs=E, steps_per_epoch=S)`` stepped once per epoch instead of
after every batch: the schedule advances E of its E*S steps, so the LR stays near its starting
value max_lr / 25 for the whole run (the warm-up never ends).

Source: https://github.com/ageron/handson-mlp/issues/28 ("OneCycleLR scheduler should be called
after every batch": the exercise's training function "calls scheduler.step() at the end of every
epoch"). Re-implemented on digits as 1x8x8 images with a small CNN and SGD with momentum. Fix:
``scheduler.step()`` after every optimizer step; the fixed program follows the one-cycle schedule
to its end, where the LR is ~0 (correct but unusual).
"""

import math
from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import load, small_cnn, train

SOURCE = "https://github.com/ageron/handson-mlp/issues/28"
EXPECTED = ("lr_warmup_never_ends", "lr_too_low")
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits_img", seed)
    torch.manual_seed(seed)
    model = small_cnn()
    epochs, batch_size = 12, 32
    steps = math.ceil(len(d.x_train) / batch_size)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=0.05, epochs=epochs, steps_per_epoch=steps, div_factor=100.0
    )
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        if not bug:
            sched.step()
        return loss, out

    return train(
        model,
        opt,
        loss_fn,
        d,
        seed=seed,
        epochs=epochs,
        batch_size=batch_size,
        step=step,
        epoch_end=(lambda epoch, logs: sched.step()) if bug else None,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
