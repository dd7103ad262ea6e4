import pytest
import torch

from trainwise.schedules.step_decay import step_decay_lr


def test_per_epoch_table():
    got = [
        step_decay_lr(s, base_lr=1.0, step_size=2, gamma=0.1, steps_per_epoch=3) for s in range(12)
    ]
    assert got == pytest.approx([1.0] * 6 + [0.1] * 6)


def test_matches_torch_steplr_per_step():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    want = []
    for _ in range(10):
        want.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    got = [step_decay_lr(s, base_lr=0.3, step_size=3, gamma=0.5) for s in range(10)]
    assert got == pytest.approx(want, rel=1e-12)
