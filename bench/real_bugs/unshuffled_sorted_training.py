"""Training on data sorted by class without shuffling: every batch holds one class, and the
model ends each epoch predicting the last class it saw.

Source: https://github.com/ageron/handson-ml/issues/86 ("the data seems to be sorted from 1s to
9s" ... shuffle so the folds are alike). Re-implemented on digits sorted by label and fed in
order with SGD and momentum. Fix: shuffle the training set every epoch.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/ageron/handson-ml/issues/86"
EXPECTED = ("unshuffled_data",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed)
    order = torch.argsort(d.y_train, stable=True)
    torch.manual_seed(seed)
    model = mlp(64, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=10,
        x_train=d.x_train[order],
        y_train=d.y_train[order],
        shuffle=not bug,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
