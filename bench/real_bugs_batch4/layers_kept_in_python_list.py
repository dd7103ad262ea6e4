"""The hidden layers of an MLP are kept in a plain Python list, so ``nn.Module`` never registers
them: they are missing from ``model.parameters()``, the optimizer never updates them, and the
network trains only its output layer on top of fixed random features.

Source: https://github.com/pytorch/pytorch/issues/59925 ("Implicit module registration permits
silent programming errors": ``self.layers = [torch.nn.Linear(4, 4) for i in range(2)]`` leaves
``net.parameters()`` empty of them, "optimizers may silently fail to update parameters of those
modules"). Re-implemented on digits (pixels 0..1) with three narrow hidden layers (16 units) and
AdamW. Fix: ``nn.ModuleList``; the fixed program is a deliberately small network.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import load, train

SOURCE = "https://github.com/pytorch/pytorch/issues/59925"
EXPECTED = ("modules_not_registered", "underfitting", "frozen_parameters")
BLOCKS = False


class ListMLP(nn.Module):
    def __init__(self, registered: bool, width: int = 16, depth: int = 3):
        super().__init__()
        layers = [nn.Linear(64 if i == 0 else width, width) for i in range(depth)]
        self.hidden = nn.ModuleList(layers) if registered else layers
        self.head = nn.Linear(width, 10)

    def forward(self, x):
        for layer in self.hidden:
            x = torch.relu(layer(x))
        return self.head(x)


def program(seed: int, bug: bool):
    d = load("digits_raw", seed)
    x, xv, xt = d.x_train / 16.0, d.x_val / 16.0, d.x_test / 16.0
    torch.manual_seed(seed)
    model = ListMLP(registered=not bug)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=15,
        x_train=x,
        x_val=xv,
        x_test=xt,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
