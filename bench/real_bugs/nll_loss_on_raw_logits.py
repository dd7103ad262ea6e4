"""``nn.NLLLoss`` on raw logits: no ``log_softmax`` in the model, so the loss is unbounded below.

Source: https://github.com/pytorch/pytorch/pull/12703 ("Fix missing final activation in
NLLLoss second example ... Without this activation, the second example loss was sometimes
negative"). Re-implemented on digits with SGD. Fix: end the model with ``nn.LogSoftmax``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/pytorch/pytorch/pull/12703"
EXPECTED = ("loss_output_mismatch",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed)
    torch.manual_seed(seed)
    model = mlp(64, 10)
    if not bug:
        model.append(nn.LogSoftmax(dim=1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return train(model, opt, nn.NLLLoss(), d, seed=seed, epochs=10)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
