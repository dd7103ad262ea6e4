"""The Dataset normalizes each sample in place (``sample.sub_(mean).div_(std)``) on the tensor
it stores, so every epoch re-normalizes already normalized data: the training images drift
toward a constant while validation/test (normalized once, out of place) stay as they were.

Source: https://github.com/pytorch/vision/issues/680 ("operations like Normalize work
in-place, which leads to a nasty footgun when implementing one's own data loaders with the data
residing in RAM - as training progresses, the dataset becomes more and more normalized").
Re-implemented on digits (raw pixels 0..16, mean 8 / std 5 as in a hand-written transform) with
an MLP and SGD with momentum; the program hands ``check_data`` the once-normalized arrays.
Fix: normalize a copy (``(sample - mean) / std``).
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = "https://github.com/pytorch/vision/issues/680"
EXPECTED = ("training_inputs_drift",)
BLOCKS = True
MEAN, STD = 8.0, 5.0


def program(seed: int, bug: bool):
    d = load("digits_raw", seed)
    stored = d.x_train.clone()  # the Dataset's in-memory images

    def normalize(sample):
        if bug:
            return sample.sub_(MEAN).div_(STD)  # in place on the stored row (a view)
        return (sample - MEAN) / STD

    def get_batch(idx, epoch):  # __getitem__ per index, then default collate
        return torch.stack([normalize(stored[int(i)]) for i in idx]), d.y_train[idx]

    x, xv, xt = ((a - MEAN) / STD for a in (d.x_train, d.x_val, d.x_test))
    torch.manual_seed(seed)
    model = mlp(64, 10, hidden=64)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=12,
        get_batch=get_batch,
        x_train=x,
        x_val=xv,
        x_test=xt,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
