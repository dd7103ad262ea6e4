"""A learning rate of 1 for SGD with momentum: the loss blows up to NaN.

Source: https://github.com/PENGLU-WashU/IMC_Denoise/issues/11 ("Demo training data generates
NaN for loss" ... "the current initial learning rate is 1, which is too big. Please set
train_initial_lr as 1e-3"). Re-implemented on digits. Fix: a 20x lower learning rate.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/PENGLU-WashU/IMC_Denoise/issues/11"
EXPECTED = ("lr_too_high", "nan_loss")
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed)
    torch.manual_seed(seed)
    model = mlp(64, 10)
    opt = torch.optim.SGD(model.parameters(), lr=1.0 if bug else 0.05, momentum=0.9)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=10)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
