"""Gradients accumulate: the loop never calls ``optimizer.zero_grad()``.

Source: https://github.com/xingyizhou/CenterNet/issues/928 (the loss "becomes huge and
unchanged" from the 2nd epoch; adding ``optimizer.zero_grad()`` after the step fixed it); the
same omission in a tutorial: https://github.com/udacity/deep-learning-v2-pytorch/pull/160.
Re-implemented on digits with an MLP and SGD with momentum. Fix: zero the gradients every step.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/xingyizhou/CenterNet/issues/928"
EXPECTED = ("zero_grad_missing",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed)
    torch.manual_seed(seed)
    model = mlp(64, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        if not bug:
            opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        return loss, out

    return train(model, opt, loss_fn, d, seed=seed, epochs=10, step=step)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
