"""Adam's ``eps`` set far above the gradients' scale: the denominator is ~eps, not
sqrt(v), so every update is ~lr * grad / eps, orders of magnitude smaller than intended.

Source: https://github.com/mlpnlp/mlpnlp-nmt/pull/4 ("the default eps value of the Adam
optimizer (0.1) is too large ... the training does not work well when using eps=0.1"; the
TensorFlow docs' "1.0 or 0.1" for Inception is the usual origin). Re-implemented on Gaussian
quantiles (3 classes) with an MLP and eps=1.0. Fix: the default eps (1e-8).
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, mlp, train

SOURCE = "https://github.com/mlpnlp/mlpnlp-nmt/pull/4"
EXPECTED = ("lr_too_low",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("quantiles", seed)
    torch.manual_seed(seed)
    model = mlp(6, 3, hidden=64)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, eps=1.0 if bug else 1e-8)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=15)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
