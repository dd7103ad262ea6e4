"""Regression targets scaled to [-1, 1] and converted with ``.type(torch.LongTensor)``: nearly
every target becomes 0.

Source: https://github.com/pytorch/pytorch/issues/3346 ("Forcing type will return zeroed tensor
... torch.from_numpy(y_train).type(torch.LongTensor)" on targets in (-0.7, 0.8)). Re-implemented
on a synthetic regression (targets min-max scaled) with Adam and MSE. Fix: keep them float.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/pytorch/pytorch/issues/3346"
EXPECTED = ("labels_collapsed",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("regression", seed)
    lo, hi = float(d.y_train.min()), float(d.y_train.max())
    scale = lambda y: 2 * (y - lo) / (hi - lo) - 1  # noqa: E731
    cast = (lambda y: y.type(torch.LongTensor).float()) if bug else (lambda y: y)
    torch.manual_seed(seed)
    model = nn.Sequential(mlp(10, 1), nn.Flatten(0))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return train(
        model,
        opt,
        nn.MSELoss(),
        d,
        seed=seed,
        epochs=20,
        task="regression",
        y_train=cast(scale(d.y_train)),
        y_val=cast(scale(d.y_val)),
        y_test_true=scale(d.y_test),
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
