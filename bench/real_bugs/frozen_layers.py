"""Most of the model frozen with ``requires_grad = False``: only the output layer learns.

Source: https://github.com/ihciah/deep-fashion-retrieval/issues/1 ("It looks like you freeze
all the conv layer parameters?" ... "After changing the freezing flag to true, the accuracy
improves quickly"). Re-implemented on digits with a narrow MLP whose hidden layers stay at
their random initialization. Fix: leave every layer trainable.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/ihciah/deep-fashion-retrieval/issues/1"
EXPECTED = ("frozen_parameters",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed)
    torch.manual_seed(seed)
    model = mlp(64, 10, hidden=8)
    if bug:
        for p in model[:-1].parameters():
            p.requires_grad = False
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=15)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
