"""Raw pixel values 0..255 fed to the network (no scaling), trained with SGD.

Source: https://github.com/chainer/chainercv/issues/358 ("pixel value preprocess not divide by
255.0, so it may be explode during further conv layer"). Re-implemented on digits rescaled to
0..255. Fix: standardize with the training split's mean and std.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/chainer/chainercv/issues/358"
EXPECTED = ("unnormalized_inputs",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed, standardize=not bug)
    if bug:  # the images as the user loaded them: 8-bit intensities
        d.x_train, d.x_val, d.x_test = (x * 255 / 16 for x in (d.x_train, d.x_val, d.x_test))
    torch.manual_seed(seed)
    model = mlp(64, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=10)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
