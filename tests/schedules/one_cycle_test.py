import pytest
import torch

from trainwise.schedules.one_cycle import one_cycle_lr


def _torch_one_cycle(total, **kw):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, total_steps=total, **kw)
    lrs = []
    for _ in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


@pytest.mark.parametrize(
    ("total", "kw"),
    [
        (100, {"max_lr": 0.01}),
        (7, {"max_lr": 0.3, "pct_start": 0.25}),
        (50, {"max_lr": 1e-3, "pct_start": 0.5, "div_factor": 10.0, "final_div_factor": 100.0}),
        (13, {"max_lr": 2.0, "pct_start": 0.05}),  # warmup shorter than one step
    ],
)
def test_matches_torch_onecyclelr(total, kw):
    want = _torch_one_cycle(total, **kw)
    max_lr = kw.pop("max_lr")
    got = [
        one_cycle_lr(s, base_lr=123.0, total_steps=total, max_lr=max_lr, **kw) for s in range(total)
    ]
    assert got == pytest.approx(want, rel=0, abs=1e-9)


def test_defaults_and_endpoints():
    lr = [one_cycle_lr(s, base_lr=0.04, total_steps=10) for s in range(12)]
    assert lr[0] == pytest.approx(0.04 / 25)
    assert max(lr) == pytest.approx(0.04) and lr.index(max(lr)) == 2  # 0.3 * 10 - 1
    assert lr[9] == pytest.approx(0.04 / 25 / 1e4)
    assert lr[10] == lr[11] == lr[9]  # past the end: held at the final LR


def test_degenerate_one_step_warmup():
    # pct_start * total_steps == 1: torch divides 0 by 0 at step 0; here step 0 is the peak
    assert one_cycle_lr(0, base_lr=1.0, total_steps=10, pct_start=0.1) == 1.0
