"""Dropout written as ``F.dropout(h, p)`` inside ``forward`` without
``training=self.training``: the functional form defaults to ``training=True``, so ``model.eval()``
does not turn it off and every validation and test prediction is made by a randomly thinned
network.

Source: https://github.com/rixwew/pytorch-fm/issues/21 (``F.dropout(attn_scores, p=0.1)`` "needs
training=self.training, so that model.train() uses dropout and model.eval() does not"; fixed by
the maintainer). Re-implemented on 5 overlapping classes with an MLP whose inputs and hidden
units are dropped (p 0.5), Adam. Fix: ``training=self.training``.
"""

from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from real_bugs_batch4.common import load, train

SOURCE = "https://github.com/rixwew/pytorch-fm/issues/21"
EXPECTED = ("dropout_active_at_eval", "test_shift")
BLOCKS = False


class DropMLP(nn.Module):
    def __init__(self, always_on: bool, p=0.5, hidden=128):
        super().__init__()
        self.always_on, self.p = always_on, p
        self.fc1 = nn.Linear(12, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 5)

    def _drop(self, h):
        if self.always_on:
            return F.dropout(h, self.p)
        return F.dropout(h, self.p, training=self.training)

    def forward(self, x):
        h = self._drop(x)
        h = self._drop(torch.relu(self.fc1(h)))
        h = self._drop(torch.relu(self.fc2(h)))
        return self.out(h)


def program(seed: int, bug: bool):
    d = load("overlap5", seed)
    torch.manual_seed(seed)
    model = DropMLP(always_on=bug)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=15)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
