"""Training inputs standardized, validation and test inputs passed raw: the held-out data come
from another distribution than the one the model learned.

Source: https://github.com/mks0601/3DMPPE_POSENET_RELEASE/issues/69 ("The image is not divided
by 255" in the demo, unlike training; "this was my mistake when I implemented this project").
Re-implemented on two moons with an MLP. Fix: apply the training split's mean/std to every split.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/mks0601/3DMPPE_POSENET_RELEASE/issues/69"
EXPECTED = ("distribution_shift",)
BLOCKS = False


def program(seed: int, bug: bool):
    d = load("moons", seed)
    if bug:
        raw = load("moons", seed, standardize=False)
        d.x_val, d.x_test = raw.x_val, raw.x_test
    torch.manual_seed(seed)
    model = mlp(2, 2, hidden=32)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=15)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
