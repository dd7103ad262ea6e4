"""Inputs and labels shuffled with two different permutations: the labels no longer belong to
their inputs.

Source: https://github.com/DrexelChatbotGroup/DrexelChatbot/issues/15 ("randomizes the order
of the x data, but not the y data. This invalidates the required association between them").
Re-implemented on digits: x and y are each shuffled once before training. Fix: one permutation
for both.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/DrexelChatbotGroup/DrexelChatbot/issues/15"
EXPECTED = ("labels_unrelated",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed)
    g = torch.Generator().manual_seed(seed + 1)
    perm = torch.randperm(len(d.x_train), generator=g)
    x = d.x_train[perm]
    y = d.y_train[torch.randperm(len(d.y_train), generator=g) if bug else perm]
    torch.manual_seed(seed)
    model = mlp(64, 10)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=10, x_train=x, y_train=y)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
