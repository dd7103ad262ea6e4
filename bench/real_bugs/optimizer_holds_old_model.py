"""The model is instantiated a second time after the optimizer was built: the optimizer updates
the first model's parameters, the loop trains (and the doctor watches) the second.

Source: https://github.com/spro/practical-pytorch/issues/9 ("I have the model instantiated
twice ... Try moving the optimizer to below the second one"). Re-implemented on digits with
Adam. Fix: build the optimizer from the model that is trained.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/spro/practical-pytorch/issues/9"
EXPECTED = ("params_not_updating",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed)
    torch.manual_seed(seed)
    model = mlp(64, 10)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    if bug:
        model = mlp(64, 10)  # re-defined further down the notebook
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=10)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
