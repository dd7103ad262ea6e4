"""An autoencoder ends in ``Sigmoid`` (as MNIST tutorials do for pixels in [0, 1]) but its inputs
and reconstruction targets were standardized to mean 0, std 1: about half of every target lies
below 0, where the output cannot go, and the large positive values above 1 are out of reach
too.

Source: https://github.com/mikesj-public/convolutional_autoencoder/pull/9 ("The normalization to
the mean and standard deviation ... was chopping off the bottom half of the data because the
network couldn't reconstruct negative values"). Re-implemented on digits (64 pixels,
standardized) with an MLP autoencoder with a deliberately small bottleneck of 8 (the fixed
program is at its capacity, not at a perfect reconstruction) and Adam; quality is the test
reconstruction R². Fix: a linear output layer.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import AutoEncoder, autoencoder_data, train

SOURCE = "https://github.com/mikesj-public/convolutional_autoencoder/pull/9"
EXPECTED = ("loss_output_mismatch", "output_cannot_express_labels")
BLOCKS = False


def program(seed: int, bug: bool):
    d = autoencoder_data(seed, standardize=True)
    torch.manual_seed(seed)
    model = AutoEncoder(out_act=nn.Sigmoid() if bug else None)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return train(model, opt, nn.MSELoss(), d, seed=seed, epochs=15, task="regression", quality="r2")


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
