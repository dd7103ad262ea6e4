"""A linear warmup computed from the batch index inside the epoch instead of the global step:
the warmup is meant to last 8 epochs, but its counter restarts at every epoch, so the learning
rate climbs to an eighth of its value, falls back to ~0, and never reaches the configured rate.

Source: https://github.com/Vision-CAIR/MiniGPT-4/pull/263 ("LR resets every epoch during
warmup to warmup_start_lr because it uses inner epoch step counter. We need to use
total_cur_step to increment LR continuously from epoch to epoch"). Re-implemented on the
imbalanced 6-class problem with an MLP and plain SGD, the LR set by hand before each step.
Fix: count the warmup in global steps.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = "https://github.com/Vision-CAIR/MiniGPT-4/pull/263"
EXPECTED = ("lr_warmup_never_ends", "lr_too_low")
BLOCKS = True
BASE_LR, WARMUP_EPOCHS, BATCH = 0.2, 8, 32


def program(seed: int, bug: bool):
    d = load("imbalanced6", seed)
    torch.manual_seed(seed)
    model = mlp(16, 6, hidden=64)
    opt = torch.optim.SGD(model.parameters(), lr=BASE_LR)
    loss_fn = nn.CrossEntropyLoss()
    per_epoch = -(-len(d.x_train) // BATCH)
    warmup = WARMUP_EPOCHS * per_epoch
    count = {"global": 0}

    def step(xb, yb):
        cur = count["global"] % per_epoch if bug else count["global"]  # inner vs total step
        for group in opt.param_groups:
            group["lr"] = BASE_LR * min(1.0, (cur + 1) / warmup)
        count["global"] += 1
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        return loss, out

    return train(model, opt, loss_fn, d, seed=seed, epochs=20, batch_size=BATCH, step=step)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
