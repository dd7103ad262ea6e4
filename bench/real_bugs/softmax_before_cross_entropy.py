"""A softmax layer at the end of the model, then ``nn.CrossEntropyLoss`` (a second softmax).

Source: https://github.com/MicrosoftDocs/ml-basics/issues/48 ("The torch deep learning model
should not use softmax last layer + CrossEntropyLoss"; fixed); the same in
https://github.com/NaJaeMin92/pytorch-DANN/issues/7 ("The softmax layer makes models hard to
train"). Re-implemented on digits with plain SGD. Fix: drop the softmax layer.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/MicrosoftDocs/ml-basics/issues/48"
EXPECTED = ("loss_output_mismatch",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed)
    torch.manual_seed(seed)
    model = mlp(64, 10)
    if bug:
        model.append(nn.Softmax(dim=1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=10)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
