"""Transfer learning with a frozen pretrained backbone: the optimizer is created on
``model.fc.parameters()`` and only afterwards is ``model.fc`` replaced by a new head for the
new classes, so the optimizer updates the discarded head and the new one keeps its random
weights.

Source: https://github.com/pytorch/pytorch/issues/14467 ("The optimizer should know the
parameters of the 'actual' model and if the parameters the optimizer knows about do not match
the ones of the model then it should spit out an error or at least a warning"). Re-implemented
on digits: a small MLP backbone is first trained on digits 0-4 (the "pretrained" model), then
frozen, and a 10-class head replaces its 5-class one. Fix: replace the head first, then build
the optimizer; the fixed program is a legitimately frozen backbone with a trained head.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, train

SOURCE = "https://github.com/pytorch/pytorch/issues/14467"
EXPECTED = ("params_not_updating", "frozen_parameters")
BLOCKS = True


class Net(nn.Module):
    def __init__(self, classes: int):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        return self.fc(self.backbone(x))


def pretrain(x, y, seed: int) -> Net:
    """The 'pretrained' model: 5 epochs of Adam on digits 0-4 only."""
    torch.manual_seed(seed + 100)
    keep = y < 5
    x, y = x[keep], y[keep]
    net = Net(5)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(seed + 100)
    for _ in range(5):
        order = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), 32):
            idx = order[i : i + 32]
            opt.zero_grad()
            nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
    return net


def program(seed: int, bug: bool):
    d = load("digits_raw", seed)
    x, xv, xt = d.x_train / 16.0, d.x_val / 16.0, d.x_test / 16.0
    model = pretrain(x, d.y_train, seed)
    for p in model.backbone.parameters():
        p.requires_grad = False
    torch.manual_seed(seed)
    if bug:
        opt = torch.optim.Adam(model.fc.parameters(), lr=3e-3)
        model.fc = nn.Linear(32, 10)
    else:
        model.fc = nn.Linear(32, 10)
        opt = torch.optim.Adam(model.fc.parameters(), lr=3e-3)
    return train(
        model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=12, x_train=x, x_val=xv, x_test=xt
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
