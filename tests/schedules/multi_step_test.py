import pytest
import torch

from trainwise.schedules.multi_step import multi_step_lr


def test_table_in_epochs():
    got = [
        multi_step_lr(s, base_lr=1.0, milestones=[1, 3], gamma=0.1, steps_per_epoch=2)
        for s in range(8)
    ]
    assert got == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01], rel=1e-12)


def test_matches_torch_multisteplr():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 5, 6], gamma=0.5)
    want = []
    for _ in range(9):
        want.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    got = [multi_step_lr(s, base_lr=0.2, milestones=[2, 5, 6], gamma=0.5) for s in range(9)]
    assert got == pytest.approx(want, rel=1e-12)
