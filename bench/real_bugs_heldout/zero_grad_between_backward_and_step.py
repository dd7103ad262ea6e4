"""``optimizer.zero_grad()`` sits between ``loss.backward()`` and ``optimizer.step()``: every
step applies gradients that were just erased, so no weight ever changes.

Source: https://github.com/cloneofsimo/lora/issues/263 ("the optimizer.zero_grad() is called
after loss backward ... should be called before accelerator.backward(loss)"). Re-implemented on
breast-cancer features with an MLP and Adam. Fix: zero the gradients before the backward pass.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, mlp, train

SOURCE = "https://github.com/cloneofsimo/lora/issues/263"
EXPECTED = ("params_not_updating", "optimizer_not_stepping")
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("breast_cancer", seed)
    torch.manual_seed(seed)
    model = mlp(30, 2, hidden=32)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        if not bug:
            opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        if bug:
            opt.zero_grad()
        opt.step()
        return loss, out

    return train(model, opt, loss_fn, d, seed=seed, epochs=10, step=step)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
