"""A regression trained on standardized targets returns its predictions in those standardized
units: the inverse transform (times the training std, plus the mean) is never applied, so every
prediction for new data is off by the whole scale of the target, although training and
validation, done on the scaled targets, look fine.

Source: https://github.com/Eshajha19/agri/issues/2189 ("The LSTM model is trained using
MinMaxScaler-normalized target values, but predict() returns the raw normalized output without
applying inverse_transform()"). Re-implemented on the diabetes data (targets 25..346) with an
MLP, the Huber loss (``SmoothL1Loss``) and Adam; quality is the test R² in the target's own
units. Fix: invert the scaling in the model's output (a fixed affine layer), the loss still
computed in standardized units.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import load, mlp, train

SOURCE = "https://github.com/Eshajha19/agri/issues/2189"
EXPECTED = ("test_shift",)
BLOCKS = False


class Rescaled(nn.Module):
    def __init__(self, net: nn.Module, mu: float, sd: float):
        super().__init__()
        self.net = net
        self.register_buffer("mu", torch.tensor(mu))
        self.register_buffer("sd", torch.tensor(sd))

    def forward(self, x):
        return self.net(x).reshape(-1) * self.sd + self.mu


def program(seed: int, bug: bool):
    d = load("diabetes", seed, standardize_y=False)
    mu, sd = float(d.y_train.mean()), float(d.y_train.std())
    torch.manual_seed(seed)
    net = mlp(10, 1, hidden=32)
    huber = nn.SmoothL1Loss()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    if bug:  # trained and validated on scaled targets; predictions never scaled back
        model = nn.Sequential(net, nn.Flatten(0))
        return train(
            model,
            opt,
            huber,
            d,
            seed=seed,
            epochs=40,
            task="regression",
            quality="r2",
            y_train=(d.y_train - mu) / sd,
            y_val=(d.y_val - mu) / sd,
        )
    model = Rescaled(net, mu, sd)
    loss_fn = lambda out, y: huber((out - mu) / sd, (y - mu) / sd)  # noqa: E731
    return train(model, opt, loss_fn, d, seed=seed, epochs=40, task="regression", quality="r2")


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
