"""A GRU regresses targets in their raw units (totals around 2,000 with a spread of ~300) with a
plain linear output and Adam at 3e-3: the output layer can only crawl towards that scale, so the
whole run is spent moving the mean prediction and the loss stays enormous.

Source: https://github.com/keras-team/keras/issues/4563 ("my losses are always either very high
or Nan ... I should add that the Y values I am trying to predict are very high" -- "Have you
tried to rescale the values before training?"). Re-implemented on synthetic sequences (16 steps
of 2 features; the target is a weighted running total) with a GRU and Adam; quality is the test
R² in raw units. Fix: standardize the targets with the training split's mean and std, and
invert that scaling in the model's output (a fixed affine layer).
"""

from functools import partial

import numpy as np
import torch
from torch import nn

from real_bugs_batch4.common import Data, train

SOURCE = "https://github.com/keras-team/keras/issues/4563"
EXPECTED = ("unnormalized_targets",)
BLOCKS = True


def make(seed: int) -> Data:
    rng = np.random.RandomState(3000 + seed)
    n = 1500
    x = rng.rand(n, 16, 2)
    w = np.linspace(0.5, 1.5, 16)
    y = 2000 + 150 * ((x[:, :, 0] - 0.5) * w).sum(1) - 100 * (x[:, :, 1] - 0.5).max(1)
    y = y + rng.randn(n) * 10
    cut = [int(0.6 * n), int(0.8 * n)]
    f = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    xs, ys = np.split(x, cut), np.split(y, cut)
    return Data(f(xs[0]), f(ys[0]), f(xs[1]), f(ys[1]), f(xs[2]), f(ys[2]), 0)


class TotalGRU(nn.Module):
    def __init__(self, mu: float = 0.0, sd: float = 1.0, hidden: int = 32):
        super().__init__()
        self.gru = nn.GRU(2, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        self.register_buffer("mu", torch.tensor(mu))
        self.register_buffer("sd", torch.tensor(sd))

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(out[:, -1]).reshape(-1) * self.sd + self.mu


def program(seed: int, bug: bool):
    d = make(seed)
    torch.manual_seed(seed)
    if bug:
        model = TotalGRU()
    else:
        model = TotalGRU(float(d.y_train.mean()), float(d.y_train.std()))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    if bug:
        loss_fn = nn.MSELoss()
    else:  # the loss in standardized units: the same fit, on a scale the optimizer handles
        loss_fn = lambda out, y: nn.functional.mse_loss(out / model.sd, y / model.sd)  # noqa: E731
    return train(model, opt, loss_fn, d, seed=seed, epochs=12, task="regression", quality="r2")


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
