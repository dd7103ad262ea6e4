import math

import pytest
import torch

from trainwise.schedules.cosine import cosine_lr


def test_warmup_endpoints_and_midpoint():
    lr = [cosine_lr(s, base_lr=1.0, total_steps=10, warmup_steps=2, min_lr=0.1) for s in range(12)]
    assert lr[:3] == pytest.approx([0.5, 1.0, 1.0])  # warmup ends at the peak; decay starts there
    assert lr[6] == pytest.approx(0.55)  # halfway through the decay: (1 + 0.1) / 2
    assert lr[10] == pytest.approx(0.1) and lr[11] == pytest.approx(0.1)  # min_lr, then held
    assert lr[3] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi / 8)))


def test_matches_torch_cosine_annealing_without_warmup():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=8, eta_min=0.05)
    want = []
    for _ in range(9):
        want.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    got = [cosine_lr(s, base_lr=0.5, total_steps=8, min_lr=0.05) for s in range(9)]
    assert got == pytest.approx(want, rel=1e-9)
