"""Regression output of shape (N, 1) against targets of shape (N,): ``MSELoss`` broadcasts to
(N, N), so every prediction is pulled to every target and the model learns the mean.

Source: https://github.com/pytorch/pytorch/pull/18349 ("the issue often arises when computing
the loss between tensors with shapes (n, 1) and (n,)"; the warning it added). Re-implemented on
a synthetic regression with Adam. Fix: flatten the output (or unsqueeze the targets).
"""

import warnings
from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/pytorch/pytorch/pull/18349"
EXPECTED = ("loss_output_mismatch",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("regression", seed)
    torch.manual_seed(seed)
    model = mlp(10, 1)
    if not bug:
        model.append(nn.Flatten(0))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    with warnings.catch_warnings():  # torch's broadcasting warning, which the user ignored
        warnings.simplefilter("ignore")
        return train(model, opt, nn.MSELoss(), d, seed=seed, epochs=20, task="regression")


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
