"""Pixels scaled to [0, 1] and then divided by 255 once more (the loader already did it), so
the inputs lie in [0, 0.004]: the first layer sees almost nothing and SGD learns very slowly.

Source: https://github.com/facebookresearch/InterHand2.6M/issues/110 ("Why divide the input
image by 255 after the process of transforms.ToTensor? This process takes the pixel value to a
very small value between 0 and 1/255"). Re-implemented on digits (pixels 0..16 scaled to 0..1,
then / 255) with an MLP and plain SGD. Fix: scale once.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = "https://github.com/facebookresearch/InterHand2.6M/issues/110"
EXPECTED = ("unnormalized_inputs",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits_raw", seed)
    scale = 16.0 * (255.0 if bug else 1.0)
    x, xv, xt = d.x_train / scale, d.x_val / scale, d.x_test / scale
    torch.manual_seed(seed)
    model = mlp(64, 10, hidden=64)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    return train(
        model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=15, x_train=x, x_val=xv, x_test=xt
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
