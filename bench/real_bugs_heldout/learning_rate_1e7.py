"""A learning rate of 1e-7: the weights move by a few millionths per step and the model is
still at its initialization when training ends.

Source: https://github.com/jfzhang95/pytorch-deeplab-xception/issues/9 ("Why you set the
initial lr as low as 1e-7 in train.py?" ... "a higher learning rate will cause loss value to be
NAN"). Re-implemented on the 8-class synthetic problem with an MLP and SGD with momentum.
Fix: a learning rate of 0.05.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, mlp, train

SOURCE = "https://github.com/jfzhang95/pytorch-deeplab-xception/issues/9"
EXPECTED = ("lr_too_low",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("classes8", seed)
    torch.manual_seed(seed)
    model = mlp(16, 8, hidden=64)
    opt = torch.optim.SGD(model.parameters(), lr=1e-7 if bug else 0.05, momentum=0.9)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=10)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
