import math

import torch
from torch import nn

from trainwise.doctor import Doctor


def _loop(kit, make_sched, *, steps=160, lr=0.05, set_lr=None, total=None):
    """SGD with momentum on the kit's data, ``make_sched(opt)`` stepped after every batch (or
    ``set_lr(step)`` written into the group by hand); returns the closed doctor."""
    model = kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    sched = make_sched(opt) if make_sched is not None else None
    torch.manual_seed(0)
    x, y = kit.data()
    gen = torch.Generator().manual_seed(0)
    doc = Doctor(model, opt, total_steps=total)
    for i in range(steps):
        if set_lr is not None:
            for g in opt.param_groups:
                g["lr"] = set_lr(i)
        idx = torch.randint(0, len(x), (32,), generator=gen)  # a fresh batch each step
        xb, yb = x[idx], y[idx]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        doc.step(loss, inputs=xb, targets=yb)
        if (i + 1) % 16 == 0:
            doc.epoch_end({"loss": float(loss.detach())})
    doc.close()
    return doc


def test_an_uncapped_warm_up_factor_is_named_before_its_symptoms(kit):
    # the LR reaches 16x its configured value; without the rule this run reports dead_relu
    doc = _loop(kit, lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: s / 20), steps=320)
    f = kit.one(doc, "lr_schedule_unbounded")
    assert f.step == 20 and f.evidence["configured_lr"] == 0.05  # initial_lr, passed at step 20
    assert f.evidence["configured_from"] == "initial_lr" and f.evidence["factor"] >= 3
    assert "min(1.0, step / warmup)" in f.fix.text
    assert kit.codes(doc) == {"lr_schedule_unbounded"}


def test_a_hand_written_uncapped_warm_up_is_named_too(kit):
    doc = _loop(kit, None, set_lr=lambda s: 0.05 * (s + 1) / 20)
    f = kit.one(doc, "lr_schedule_unbounded")
    assert f.evidence["configured_from"] == "the optimizer's lr"


def test_a_capped_warm_up_then_cosine_is_silent(kit):
    def factor(s):
        return min(1.0, s / 20) if s < 20 else 0.5 * (1 + math.cos(math.pi * (s - 20) / 140))

    doc = _loop(kit, lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor))
    assert "lr_schedule_unbounded" not in kit.codes(doc)


def test_one_cycle_and_cyclic_schedules_are_silent(kit):
    one_cycle = _loop(
        kit,
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.05, total_steps=160),
        lr=0.002,
    )
    assert "lr_schedule_unbounded" not in kit.codes(one_cycle)
    cyclic = _loop(
        kit,
        lambda o: torch.optim.lr_scheduler.CyclicLR(
            o, base_lr=0.005, max_lr=0.05, step_size_up=100
        ),
        lr=0.005,
    )
    assert "lr_schedule_unbounded" not in kit.codes(cyclic)


def test_one_raise_by_hand_is_not_a_schedule(kit):
    # the optimizer built with 0.005, the LR set to 0.05 from step 10 on: no rising schedule
    doc = _loop(kit, None, lr=0.005, set_lr=lambda s: 0.005 if s < 10 else 0.05)
    assert "lr_schedule_unbounded" not in kit.codes(doc)


def test_a_one_cycle_lambda_with_a_planned_length_is_silent_and_the_bug_still_named(kit):
    # trainwise's onecycle is a LambdaLR (no max_lr in the group): rising to 10x the optimizer's
    # LR for 30% of a planned run is its plan; the uncapped warm-up still rises at half the plan
    from trainwise.schedules.one_cycle import one_cycle_lr

    def lam(o):
        return torch.optim.lr_scheduler.LambdaLR(
            o, lambda s: one_cycle_lr(s, base_lr=1.0, total_steps=160, max_lr=10.0)
        )

    doc = _loop(kit, lam, lr=0.005, total=160)
    assert "lr_schedule_unbounded" not in kit.codes(doc)
    doc = _loop(
        kit, lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: s / 20), steps=320, total=320
    )
    assert kit.one(doc, "lr_schedule_unbounded").step == 20
