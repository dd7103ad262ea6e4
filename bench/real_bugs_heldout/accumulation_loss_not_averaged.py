"""Gradient accumulation over 8 micro-batches without dividing each loss by 8: every optimizer
step applies the sum of 8 mean-gradients, an 8x larger step than the learning rate was tuned
for, and the fit never settles (the loss ends above that of predicting the mean).

Source: https://github.com/hirofumi0810/neural_sp/issues/168 ("should divide loss by
accum_grad_n_steps"); the same question in https://github.com/karpathy/nanoGPT/issues/206.
Re-implemented on Friedman #1 regression (standardized) with an MLP and SGD with momentum.
Fix: ``(loss / 8).backward()``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, mlp, train

SOURCE = "https://github.com/hirofumi0810/neural_sp/issues/168"
EXPECTED = ("lr_too_high", "exploding_gradients", "nan_loss")
BLOCKS = True
ACCUM = 8


def program(seed: int, bug: bool):
    d = load("friedman", seed)
    torch.manual_seed(seed)
    model = mlp(10, 1, hidden=64)
    model.append(nn.Flatten(0))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.MSELoss()
    calls = {"n": 0}

    def step(xb, yb):
        out = model(xb)
        loss = loss_fn(out, yb)
        (loss if bug else loss / ACCUM).backward()
        calls["n"] += 1
        if calls["n"] % ACCUM == 0:
            opt.step()
            opt.zero_grad()
        return loss, out

    return train(
        model, opt, loss_fn, d, seed=seed, epochs=15, batch_size=8, task="regression", step=step
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
