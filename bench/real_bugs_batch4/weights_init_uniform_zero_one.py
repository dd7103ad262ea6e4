"""A custom initializer ``m.weight.data.uniform_(0.0, 1.0)`` (the tensor method's default range)
on every linear layer: all weights positive with mean 0.5, so each layer multiplies the scale of
its input by about half its fan-in and the logits come out in the tens of thousands; SGD's first
steps blow the network up.

Source: https://github.com/wkentaro/pytorch-fcn/issues/167 ("I wanted to change the
initialization method of the convolution from 0 to a positive ... distribution, but this led to a
gradient explosion after a few iters. Why does this happen?"). Re-implemented on Hastie's
10-feature problem with a 3-hidden-layer MLP (64 units) and SGD with momentum. Fix: keep
PyTorch's default (Kaiming-uniform, zero-mean) initialization.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import load, mlp, train

SOURCE = "https://github.com/wkentaro/pytorch-fcn/issues/167"
EXPECTED = ("exploding_gradients", "nan_loss", "lr_too_high")
BLOCKS = True


def init_uniform(m):
    if isinstance(m, nn.Linear):
        m.weight.data.uniform_(0.0, 1.0)
        m.bias.data.fill_(0)


def program(seed: int, bug: bool):
    d = load("hastie", seed)
    torch.manual_seed(seed)
    model = mlp(10, 2, hidden=64, depth=3)
    if bug:
        model.apply(init_uniform)
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=15)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
