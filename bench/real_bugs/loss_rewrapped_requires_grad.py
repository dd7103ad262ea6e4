"""The loss is rebuilt from a Python float and given ``requires_grad=True`` to silence "element 0
of tensors does not require grad": backward then reaches no parameter.

Source: https://github.com/ronghuaiyang/arcface-pytorch/issues/56 ("i add a line ...
loss.requires_grad = True and then it do not report errors. but when i train, the loss is not
decline, and the acc is always zero"). Re-implemented on digits: the loss goes through
``.item()`` and back. Fix: keep the loss in the autograd graph.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/ronghuaiyang/arcface-pytorch/issues/56"
EXPECTED = ("params_not_updating",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed)
    torch.manual_seed(seed)
    model = mlp(64, 10)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        if bug:
            loss = torch.tensor(loss.item(), requires_grad=True)
        loss.backward()
        opt.step()
        return loss, out

    return train(model, opt, loss_fn, d, seed=seed, epochs=10, step=step)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
