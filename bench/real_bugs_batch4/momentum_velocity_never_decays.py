"""A hand-written SGD-with-momentum optimizer puts the momentum coefficient on the wrong term,
``v = v + mu * g`` instead of ``v = mu * v + g``: the velocity never decays, it is a running sum
of every gradient so far, and the steps grow with the number of iterations until training
oscillates and blows up.

Source: https://github.com/ooples/AiDotNet/issues/2008 ("ApplyMomentum applies the coefficient
to the wrong term -- velocity never decays ... That is v <- v + mu*g. Classical momentum is
v <- mu*v + g ... The effective step size therefore grows linearly with iteration count, which
destabilises training the longer it runs"). Re-implemented as a small ``torch.optim.Optimizer``
subclass used on 5 overlapping classes with an MLP. Fix: ``v = mu * v + g``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import load, mlp, train

SOURCE = "https://github.com/ooples/AiDotNet/issues/2008"
EXPECTED = ("optimizer_update_wrong",)
BLOCKS = True


class MomentumSGD(torch.optim.Optimizer):
    def __init__(self, params, lr: float, momentum: float, buggy: bool):
        super().__init__(params, {"lr": lr, "momentum": momentum})
        self.buggy = buggy

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, mu = group["lr"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                v = state.get("v")
                if v is None:
                    v = state["v"] = p.grad.clone()
                elif self.buggy:
                    v.add_(p.grad, alpha=mu)
                else:
                    v.mul_(mu).add_(p.grad)
                p.add_(v, alpha=-lr)


def program(seed: int, bug: bool):
    d = load("overlap5", seed)
    torch.manual_seed(seed)
    model = mlp(12, 5, hidden=64)
    opt = MomentumSGD(model.parameters(), lr=0.02, momentum=0.9, buggy=bug)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=12)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
