"""The optimizer is built on the classifier layer only (``optim.SGD(model.fc.parameters())``,
copied from a fine-tuning tutorial) for a network trained from scratch: the hidden layers keep
their random initial weights and only the last layer learns on random features.

Source: https://github.com/fengdu78/Data-Science-Notes/issues/18 (the tutorial's
``optimizer = optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)`` "should be
``optim.SGD(model.parameters(), ...)``"). Re-implemented on digits (pixels scaled to 0..1) with
a narrow two-hidden-layer MLP and SGD with momentum. Fix: pass ``model.parameters()``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, train

SOURCE = "https://github.com/fengdu78/Data-Science-Notes/issues/18"
EXPECTED = ("params_not_updating", "frozen_parameters")
BLOCKS = True


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(64, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU())
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        return self.fc(self.features(x))


def program(seed: int, bug: bool):
    d = load("digits_raw", seed)
    x, xv, xt = d.x_train / 16.0, d.x_val / 16.0, d.x_test / 16.0
    torch.manual_seed(seed)
    model = Net()
    params = model.fc.parameters() if bug else model.parameters()
    opt = torch.optim.SGD(params, lr=1e-2, momentum=0.9)
    return train(
        model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=15, x_train=x, x_val=xv, x_test=xt
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
