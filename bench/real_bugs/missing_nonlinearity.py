"""No activation between the linear layers: the "deep" model is one linear map and cannot
separate two concentric circles.

Source: https://github.com/soumith/cvpr2015/issues/6 ("there are no nonlinearities applied
between the final linear layers ... the result of stacking linear layers is still a linear
function of the input"). Re-implemented on two circles with Adam. Fix: a ReLU after each hidden
layer.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/soumith/cvpr2015/issues/6"
EXPECTED = ("underfitting",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("circles", seed)
    torch.manual_seed(seed)
    model = mlp(2, 2, hidden=32, act=nn.Identity if bug else nn.ReLU)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=20)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
