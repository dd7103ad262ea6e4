"""A max-scaling loop meant to scale each of the 13 features by its maximum indexes the rows
instead: ``for i in range(13): x[i] = x[i] / max(x[i])`` rescales the first 13 *samples* and
leaves every feature on its raw scale (one in the hundreds to over a thousand, others below 1),
so the network trains on unnormalized inputs.

Source: https://github.com/GoogleCloudPlatform/vertex-ai-samples/issues/1599 ("Normalization
happens over 13 rows not over columns (features)": ``for _ in range(13): x_train[_], max =
scale(x_train[_])``; fixed by the maintainer). Re-implemented on wine (13 raw features) with an
MLP and SGD with momentum. Fix: scale each column by its training maximum (applied to every
split).
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import load, mlp, train

SOURCE = "https://github.com/GoogleCloudPlatform/vertex-ai-samples/issues/1599"
EXPECTED = ("unnormalized_inputs",)
BLOCKS = True


def scale_rows(x: torch.Tensor) -> torch.Tensor:
    x = x.clone()
    for i in range(13):
        x[i] = x[i] / x[i].max()
    return x


def program(seed: int, bug: bool):
    d = load("wine", seed, standardize=False)
    if bug:
        x, xv, xt = scale_rows(d.x_train), scale_rows(d.x_val), scale_rows(d.x_test)
    else:
        top = d.x_train.max(0).values
        x, xv, xt = d.x_train / top, d.x_val / top, d.x_test / top
    torch.manual_seed(seed)
    model = mlp(13, 3, hidden=32)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=30,
        batch_size=16,
        x_train=x,
        x_val=xv,
        x_test=xt,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
