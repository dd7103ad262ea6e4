"""The validation pass calls ``model.eval()`` and the loop never calls ``model.train()`` again:
from the second epoch on, the network trains in eval mode (BatchNorm normalizes with frozen
running statistics, Dropout is off).

Source: https://github.com/fartashf/vsepp/issues/4 ("will run the validation and call
model.val_start() to stop the batch_norm and dropout layers ... However, it will not call
model.train_start() until next epoch"); the same slip fixed in
https://github.com/facebookresearch/clevr-iep/pull/22. Re-implemented on an 8-class synthetic
problem with a 6-layer BatchNorm/Dropout MLP and the large SGD step BatchNorm makes safe.
Fix: ``model.train()`` at the start of every epoch.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, train

SOURCE = "https://github.com/fartashf/vsepp/issues/4"
EXPECTED = ("eval_mode_during_training",)
BLOCKS = True


def net(d_in: int, d_out: int, hidden: int = 128, depth: int = 6) -> nn.Sequential:
    layers: list[nn.Module] = []
    d = d_in
    for _ in range(depth):
        layers += [nn.Linear(d, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.2)]
        d = hidden
    layers.append(nn.Linear(d, d_out))
    return nn.Sequential(*layers)


def program(seed: int, bug: bool):
    d = load("classes8", seed)
    torch.manual_seed(seed)
    model = net(16, 8)
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=12,
        batch_size=64,
        train_mode_each_epoch=not bug,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
