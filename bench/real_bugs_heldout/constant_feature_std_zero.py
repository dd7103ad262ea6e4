"""Standardizing with ``(x - mean) / std`` when some features never vary: 0 / 0 puts NaN in
every row of those columns, and the network computes NaN from the first batch.

Source: https://mcmap.net/q/1908922/-normalisation-with-a-zero-in-the-standard-deviation
("I get a devision by zero error. Two of the values in the data set end up having a zero std
... trainData[:, 28] and trainData[:, 49] are all zeros"). Re-implemented on digits images
(the corner pixels are always 0) with a small CNN and Adam. Fix: drop constant features, or
divide by ``std + eps``.
"""

from functools import partial

import numpy as np
import torch
from torch import nn

from real_bugs_heldout.common import load, train

SOURCE = "https://mcmap.net/q/1908922/-normalisation-with-a-zero-in-the-standard-deviation"
EXPECTED = ("nan_in_data",)
BLOCKS = True


def cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 10),
    )


def program(seed: int, bug: bool):
    d = load("digits_img", seed, standardize=False)
    x_tr = d.x_train.numpy()
    mean = x_tr.mean(0)
    std = x_tr.std(0)
    if not bug:
        std = np.where(std == 0, 1.0, std)
    with np.errstate(divide="ignore", invalid="ignore"):
        d.x_train, d.x_val, d.x_test = (
            torch.tensor((s.numpy() - mean) / std, dtype=torch.float32)
            for s in (d.x_train, d.x_val, d.x_test)
        )
    torch.manual_seed(seed)
    model = cnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=8)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
