"""A feature that is the label in disguise: the "price" column is logged only for items that
sold, so in the training and validation data it is present exactly when the label is 1, and the
model learns to read the label from it. At prediction time every item has a price, the column
says nothing, and the model's answers are no better than a coin toss.

Source: https://github.com/dotnet/machinelearning/issues/737 ("Label leaking means that you have
a feature which is actually the label in disguise ... your logging system only logs the price if
the item was sold" -- "it looks like I was incorrectly including the target class as a
feature"). Re-implemented on Hastie's 10-feature problem plus the leaking column, with an MLP and
AdamW. Fix: drop the column.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import load, mlp, train

SOURCE = "https://github.com/dotnet/machinelearning/issues/737"
EXPECTED = ("target_leakage", "test_shift")
BLOCKS = False


def with_price(x: torch.Tensor, logged: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    price = logged.float() * (1.0 + 0.1 * torch.randn(len(x), generator=g))
    return torch.cat([x, price.reshape(-1, 1)], dim=1)


def program(seed: int, bug: bool):
    d = load("hastie", seed)
    g = torch.Generator().manual_seed(seed)
    if bug:
        x = with_price(d.x_train, d.y_train == 1, g)
        xv = with_price(d.x_val, d.y_val == 1, g)
        xt = with_price(d.x_test, torch.ones(len(d.x_test), dtype=torch.bool), g)
    else:
        x, xv, xt = d.x_train, d.x_val, d.x_test
    torch.manual_seed(seed)
    model = mlp(x.shape[1], 2, hidden=64)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-2)
    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=15,
        x_train=x,
        x_val=xv,
        x_test=xt,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
