"""A keep probability passed where PyTorch expects the drop probability: ``nn.Dropout(0.9)``
meant as "keep 90%" zeroes 90% of the units at every training step.

Source: https://github.com/hassony2/kinetics_i3d_pytorch/issues/6 ("it says dropout_keep_prob=1
but in the PyTorch documentation p is the probability of an element to be zeroed"); the same
slip in https://github.com/piergiaj/pytorch-i3d/issues/58. Re-implemented on the 8-class
synthetic problem with a 3-hidden-layer MLP and Adam, as code ported from TensorFlow's
``keep_prob``. Fix: ``nn.Dropout(p=1 - keep_prob)``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, train

SOURCE = "https://github.com/hassony2/kinetics_i3d_pytorch/issues/6"
EXPECTED = ("over_regularized",)
BLOCKS = True
KEEP_PROB = 0.9


def net(p: float, d_in: int = 16, d_out: int = 8, hidden: int = 128) -> nn.Sequential:
    layers: list[nn.Module] = []
    d = d_in
    for _ in range(3):
        layers += [nn.Linear(d, hidden), nn.ReLU(), nn.Dropout(p)]
        d = hidden
    layers.append(nn.Linear(d, d_out))
    return nn.Sequential(*layers)


def program(seed: int, bug: bool):
    d = load("classes8", seed)
    torch.manual_seed(seed)
    model = net(KEEP_PROB if bug else 1 - KEEP_PROB)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=12)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
