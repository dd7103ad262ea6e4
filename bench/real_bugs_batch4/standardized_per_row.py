"""The features are z-scored along the wrong axis: ``zscore(X, axis=1)`` standardizes each
*sample* across its 10 features instead of each feature across the samples. On a problem whose
class depends on the overall size of a sample's features, every row ends up with the same sum
of squares, and the information the labels depend on is gone before training starts.

Source: https://github.com/thedatumorg/TSB-AD/pull/79 ("zscore(X, axis=1) standardized each
timestep across channels (erasing amplitude). Use per-channel normalization (axis=0)").
Re-implemented on Hastie's 10-feature problem (class 1 when the sum of squares exceeds the
chi-square median) with an MLP and Adam. Fix: standardize each feature with the training split's
mean and std.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import load, mlp, train

SOURCE = "https://github.com/thedatumorg/TSB-AD/pull/79"
EXPECTED = ("normalized_wrong_axis", "labels_unrelated")
BLOCKS = True


def per_row(x: torch.Tensor) -> torch.Tensor:
    return (x - x.mean(1, keepdim=True)) / x.std(1, unbiased=False, keepdim=True)


def program(seed: int, bug: bool):
    d = load("hastie", seed, standardize=not bug)
    if bug:
        x, xv, xt = per_row(d.x_train), per_row(d.x_val), per_row(d.x_test)
    else:
        x, xv, xt = d.x_train, d.x_val, d.x_test
    torch.manual_seed(seed)
    model = mlp(10, 2, hidden=64)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
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
