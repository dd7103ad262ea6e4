"""Every weight and bias initialized to zero: hidden units stay identical (and, with ReLU, at
zero), so only the output bias ever learns.

Source: https://github.com/wagonhelm/NaNmnist/issues/2 ("initializing weights as zeroes ... is
highly improper way of initialization ... if every neuron in the network computes the same
output, then they will also all compute the same gradients"). Re-implemented on digits with
Adam. Fix: keep PyTorch's random initialization.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/wagonhelm/NaNmnist/issues/2"
EXPECTED = ("constant_init", "params_not_updating")
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed)
    torch.manual_seed(seed)
    model = mlp(64, 10)
    if bug:
        for p in model.parameters():
            nn.init.zeros_(p)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=10)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
