"""Regression on raw prices (mean about 190,000) with standardized inputs and a
default-initialized net: the outputs start near 0 and Adam's per-step moves are ~lr, so the
run spends itself crawling toward the mean.

Source: https://stats.stackexchange.com/questions/409000/should-we-normalize-target-data-as-well-as-input-data
("After 2,000 epochs, the network was still working the outputs slowly up from zero towards
the mean 250,000 value ... I was using ADAM"). Re-implemented on Friedman #2 with its targets read as
prices (x 400, in dollars), an MLP and Adam at its default learning rate. Fix: standardize the targets with the training split's
mean/std (R² is the same in either target scale, so quality compares directly).
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = (
    "https://stats.stackexchange.com/questions/409000/"
    "should-we-normalize-target-data-as-well-as-input-data"
)
EXPECTED = ("unnormalized_targets",)
BLOCKS = True
PRICE = 400.0  # Friedman #2 targets (about 0..1700) read as prices in dollars


def program(seed: int, bug: bool):
    d = load("friedman2", seed, standardize_y=False)
    y = [d.y_train * PRICE, d.y_val * PRICE, d.y_test * PRICE]
    if not bug:
        mu, sd = y[0].mean(), y[0].std()
        y = [(t - mu) / sd for t in y]
    d.y_train, d.y_val, d.y_test = y
    torch.manual_seed(seed)
    model = mlp(4, 1, hidden=64)
    model.append(nn.Flatten(0))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return train(model, opt, nn.MSELoss(), d, seed=seed, epochs=20, task="regression", quality="r2")


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
