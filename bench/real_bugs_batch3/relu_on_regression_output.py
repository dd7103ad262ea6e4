"""A ReLU left on the output layer of a regression net whose targets were standardized: the
net can only predict values >= 0, so every target below the mean is predicted as (at best) 0.

Source: https://stats.stackexchange.com/questions/362588/how-can-a-network-with-only-relu-nodes-output-negative-values
("If the final layer of the network of ReLU units, then the output must be non-negative").
Re-implemented on Friedman #2 with standardized targets (more than half of them negative), an
MLP that ends in ``nn.ReLU()``, Adam. Fix: a linear output layer.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = (
    "https://stats.stackexchange.com/questions/362588/"
    "how-can-a-network-with-only-relu-nodes-output-negative-values"
)
EXPECTED = ("loss_output_mismatch", "output_cannot_express_labels")
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("friedman2", seed)
    torch.manual_seed(seed)
    model = mlp(4, 1, hidden=64)
    if bug:
        model.append(nn.ReLU())  # "outputs are prices, they can't be negative"
    model.append(nn.Flatten(0))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return train(model, opt, nn.MSELoss(), d, seed=seed, epochs=30, task="regression", quality="r2")


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
