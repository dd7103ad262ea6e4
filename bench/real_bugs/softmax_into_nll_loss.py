"""``nn.Softmax`` output fed to ``nn.NLLLoss``, which expects log-probabilities.

Source: https://github.com/AnubhavGupta3377/Text-Classification-Models-Pytorch/issues/9 ("the
input of nn.NLLloss() is after logsoftmax ... here only softmax is provided in model.py
therefore, the loss is always negative"). Re-implemented on digits with SGD. Fix: ``nn.LogSoftmax`` instead of ``nn.Softmax``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/AnubhavGupta3377/Text-Classification-Models-Pytorch/issues/9"
EXPECTED = ("loss_output_mismatch",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed)
    torch.manual_seed(seed)
    model = mlp(64, 10)
    model.append(nn.Softmax(dim=1) if bug else nn.LogSoftmax(dim=1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    return train(model, opt, nn.NLLLoss(), d, seed=seed, epochs=10)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
