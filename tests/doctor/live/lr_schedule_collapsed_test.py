import math

import torch
from torch import nn

from trainwise.doctor import Doctor


def _loop(kit, make_sched, *, steps=120, per_batch=True, epoch_len=20, total=None):
    model = kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = make_sched(opt)
    torch.manual_seed(0)
    x, y = kit.data()
    doc = Doctor(model, opt, total_steps=total)
    for i in range(steps):
        xb, yb = x[(i * 32) % 512 :][:32], y[(i * 32) % 512 :][:32]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        if per_batch or (i + 1) % epoch_len == 0:
            sched.step()
        doc.step(loss, inputs=xb, targets=yb)
    doc.close()
    return doc


def test_a_per_epoch_steplr_stepped_every_batch_is_named(kit):
    doc = _loop(kit, lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5))
    f = kit.one(doc, "lr_schedule_collapsed")
    assert f.step == 19 and f.evidence["lr_changes"] == 10  # 0.1 * 0.5**10 < 1e-4
    assert "stepped every batch" in f.message and "once per epoch" in f.fix.text
    assert "lr_too_low" not in kit.codes(doc)


def test_the_same_scheduler_stepped_per_epoch_is_silent(kit):
    doc = _loop(
        kit, lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5), per_batch=False
    )
    assert "lr_schedule_collapsed" not in kit.codes(doc)


def test_cosine_to_zero_at_the_end_and_warm_up_are_silent(kit):
    for total in (None, 120):
        doc = _loop(kit, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 120), total=total)
        assert "lr_schedule_collapsed" not in kit.codes(doc)

    def warm_then_cosine(o):  # from 0 up over 20 steps, then cosine down to 0 at step 120
        return torch.optim.lr_scheduler.LambdaLR(
            o, lambda t: t / 20 if t < 20 else 0.5 * (1 + math.cos(math.pi * (t - 20) / 100))
        )

    assert "lr_schedule_collapsed" not in kit.codes(_loop(kit, warm_then_cosine))


def test_a_collapse_in_the_first_half_of_a_planned_run_is_named_sooner(kit):
    doc = _loop(
        kit,
        lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.8),
        steps=60,
        total=600,
    )
    f = kit.one(doc, "lr_schedule_collapsed")
    assert f.step == 31 and f.evidence["steps_collapsed"] == 16
