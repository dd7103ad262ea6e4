"""A sigmoid output unit regressing targets that range over 0..30: the prediction can never
exceed 1, so the fit saturates at the top of the sigmoid and stays far below the targets.

Source: http://stackoverflow.com/questions/14982358/backpropagation-algorithm-matlab-output-values-are-saturating-to-1/14982792
("I want to train my network to ... output a single value between 0 and 100 ... OutputLayer =
sigmoidVector(...)" and the outputs saturate to 1). Re-implemented on Friedman #1 regression
(raw targets, about 0 to 30) with an MLP and Adam. Fix: a linear output unit.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, mlp, train

SOURCE = (
    "http://stackoverflow.com/questions/14982358/"
    "backpropagation-algorithm-matlab-output-values-are-saturating-to-1/14982792"
)
EXPECTED = ("loss_output_mismatch", "output_cannot_express_labels")
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("friedman", seed, standardize_y=False)
    torch.manual_seed(seed)
    model = mlp(10, 1, hidden=64)
    if bug:
        model.append(nn.Sigmoid())
    model.append(nn.Flatten(0))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return train(model, opt, nn.MSELoss(), d, seed=seed, epochs=20, task="regression")


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
