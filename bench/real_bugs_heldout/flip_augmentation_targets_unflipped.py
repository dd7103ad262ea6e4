"""A random horizontal flip is applied to the input signal but not to its position target:
half of the training batches pair a bump at position p with the target of its mirror image.

Source: https://github.com/aleju/imgaug/issues/769 ("I noticed that there are some problems
with the Fliplr, the x component is not transformed by the flipping. I expect the new x should
be img width - old x"). Re-implemented as 1-D signals whose target is the centre of a
symmetric bump, with a 1-D conv net and Adam. Fix: mirror the target with the input
(x -> L - 1 - x).
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, train

SOURCE = "https://github.com/aleju/imgaug/issues/769"
EXPECTED = ("labels_unrelated", "label_noise")
BLOCKS = True
LENGTH = 32


def conv1d_net() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(1, 16, 5, padding=2),
        nn.ReLU(),
        nn.Conv1d(16, 16, 5, padding=2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16 * LENGTH, 64),
        nn.ReLU(),
        nn.Linear(64, 1),
        nn.Flatten(0),
    )


def program(seed: int, bug: bool):
    d = load("bumps", seed, standardize=False, standardize_y=False)
    # targets scaled to [-1, 1] around the signal's centre, so a flip is y -> -y
    half = (LENGTH - 1) / 2
    d.y_train, d.y_val, d.y_test = ((t - half) / half for t in (d.y_train, d.y_val, d.y_test))

    def augment(xb, yb, g):
        flip = torch.rand(len(xb), generator=g) < 0.5
        xb = torch.where(flip[:, None, None], xb.flip(-1), xb)
        if not bug:
            yb = torch.where(flip, -yb, yb)
        return xb, yb

    torch.manual_seed(seed)
    model = conv1d_net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return train(
        model, opt, nn.MSELoss(), d, seed=seed, epochs=12, task="regression", augment=augment
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
