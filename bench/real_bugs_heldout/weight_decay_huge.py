"""A weight decay of 0.5 (meant as 5e-4): the penalty pulls every weight to zero faster than
the data can push it, and the network ends predicting almost the same for every input.

Source: https://github.com/vlfeat/matconvnet/issues/1051 ("The default Weightdecay is
0.0005 ... The same network is then used with Weightdecay 0.005" and performs far worse).
Re-implemented on Gaussian quantiles (3 classes) with an MLP and SGD with momentum.
Fix: ``weight_decay=5e-4``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, mlp, train

SOURCE = "https://github.com/vlfeat/matconvnet/issues/1051"
EXPECTED = ("over_regularized",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("quantiles", seed)
    torch.manual_seed(seed)
    model = mlp(6, 3, hidden=64)
    opt = torch.optim.SGD(
        model.parameters(), lr=0.05, momentum=0.9, weight_decay=0.5 if bug else 5e-4
    )
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=15)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
