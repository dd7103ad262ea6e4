"""``clip_grad_norm_`` called before ``loss.backward()``: it clips the gradients that
``zero_grad`` just emptied, the fresh gradients reach ``optimizer.step()`` unclipped, and a run
whose learning rate relied on clipping diverges.

Source: https://github.com/Cranial-XIX/FAMO/issues/4 ("Why should clip_grad_norm_ before
loss.backward()?" -- "thanks for catching this bug, it should be after"). Re-implemented on
Friedman #2 regression (standardized) with an MLP and SGD with momentum at a learning rate
that is stable only with the gradient norm clipped to 1. Fix: clip between ``backward()`` and
``step()``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = "https://github.com/Cranial-XIX/FAMO/issues/4"
EXPECTED = ("exploding_gradients", "lr_too_high", "nan_loss")
BLOCKS = True
LR = 0.3


def program(seed: int, bug: bool):
    d = load("friedman2", seed)
    torch.manual_seed(seed)
    model = mlp(4, 1, hidden=64)
    model.append(nn.Flatten(0))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    loss_fn = nn.MSELoss()

    def step(xb, yb):
        opt.zero_grad()
        if bug:
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        if not bug:
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
        return loss, out

    return train(
        model, opt, loss_fn, d, seed=seed, epochs=25, task="regression", quality="r2", step=step
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
