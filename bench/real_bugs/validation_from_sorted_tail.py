"""The validation set is the last 20% of a dataset sorted by class: it holds only the last
classes, which training never sees.

Source: https://github.com/keras-team/keras/issues/8346 ("splitting 20% of data for validation
takes the last 20% of the data which is in this case the whole class 5 ... I solved it by
shuffling data manually"). Re-implemented on digits (sorted by label, as some loaders deliver
them). Fix: shuffle before splitting.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/keras-team/keras/issues/8346"
EXPECTED = ("validation_class_shift",)
BLOCKS = False


def program(seed: int, bug: bool):
    d = load("digits", seed)
    x = torch.cat([d.x_train, d.x_val])
    y = torch.cat([d.y_train, d.y_val])
    order = torch.argsort(y, stable=True)  # the files come sorted by class
    x, y = x[order], y[order]
    if not bug:
        perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
        x, y = x[perm], y[perm]
    cut = int(0.75 * len(x))
    torch.manual_seed(seed)
    model = mlp(64, 10)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=10,
        x_train=x[:cut],
        y_train=y[:cut],
        x_val=x[cut:],
        y_val=y[cut:],
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
