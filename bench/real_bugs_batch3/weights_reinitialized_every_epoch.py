"""The weight initialization is called at the top of the epoch loop, so every epoch starts from
fresh random weights: the final model has been trained for one epoch only.

Source: https://github.com/infostreams/neural-network/issues/8 ("Why ... initWeights(); Every
Epoch reset weights ??? Reset weights cause Network initialize from new. And loss previous
worked"). Re-implemented on the wine data with an MLP whose ``init_weights`` (Xavier) runs at
the start of each epoch, and plain SGD. Fix: initialize once, before the loop.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = "https://github.com/infostreams/neural-network/issues/8"
EXPECTED = ("weights_reset_during_training",)
BLOCKS = True


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)


def program(seed: int, bug: bool):
    d = load("wine", seed)
    torch.manual_seed(seed)
    model = mlp(13, 3, hidden=32)
    model.apply(init_weights)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def epoch_start(epoch):
        if bug:
            model.apply(init_weights)

    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=40,
        batch_size=16,
        epoch_start=epoch_start,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
