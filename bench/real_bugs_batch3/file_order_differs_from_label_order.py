"""Inputs read in the file system's listing order, labels read from a sorted label file: the
i-th input is paired with the i-th label of another sample, so the labels carry no information
about the inputs (for training and for validation, which come through the same loader).

Source: https://github.com/NoahVl/Explaining-In-Style-Reproducibility-Study/issues/9 ("the
labels and the images are not loaded in the same order. That is why when training or testing,
the labels do not correspond to the images ... You can fix it by sorting the image_paths
list"). Re-implemented on Hastie's problem: the rows of the training and validation inputs come
in a fixed arbitrary order (the listing) while their labels stay in sorted order; an MLP and
Adam. Fix: sort the listing so each input meets its own label.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = "https://github.com/NoahVl/Explaining-In-Style-Reproducibility-Study/issues/9"
EXPECTED = ("labels_unrelated", "label_noise")
BLOCKS = True


def listing_order(n: int, seed: int) -> torch.Tensor:
    """os.listdir's order: arbitrary but fixed (a hash order, not sorted)."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(1000 + seed))


def program(seed: int, bug: bool):
    d = load("hastie", seed)
    x, xv = d.x_train, d.x_val
    if bug:
        x = x[listing_order(len(x), seed)]
        xv = xv[listing_order(len(xv), seed + 1)]
    torch.manual_seed(seed)
    model = mlp(10, 2, hidden=64)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=20, x_train=x, x_val=xv)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
