"""A ReLU net trained with too high a learning rate: the first large updates push every hidden
unit's pre-activation below zero for all inputs, the units never fire again and the output is
constant.

Source: https://github.com/dangitstam/topic-rnn/pull/9 ("smaller learning rate to prevent dying
ReLU"). Re-implemented on Friedman #2 regression (standardized) with a small ReLU MLP (two
hidden layers of 16) and SGD with momentum at lr 0.5. Fix: lr 0.01; the fixed run is a small
net that keeps a few dead units (3 of the 16 in its second layer) and still fits well.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = "https://github.com/dangitstam/topic-rnn/pull/9"
EXPECTED = ("dead_relu", "lr_too_high")
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("friedman2", seed)
    torch.manual_seed(seed)
    model = mlp(4, 1, hidden=16)
    model.append(nn.Flatten(0))
    opt = torch.optim.SGD(model.parameters(), lr=0.5 if bug else 0.01, momentum=0.9)
    return train(model, opt, nn.MSELoss(), d, seed=seed, epochs=25, task="regression", quality="r2")


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
