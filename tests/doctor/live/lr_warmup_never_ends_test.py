import torch
from torch import nn

from trainwise.doctor import Doctor

EPOCH = 20  # steps per epoch


def _loop(kit, *, epochs=8, per_epoch=None, once=None, per_batch=True, momentum=0.0):
    """SGD on the kit's data in epochs of 20 steps. ``per_epoch(opt)`` builds a scheduler at the
    start of every epoch (the bug), ``once(opt)`` one before the loop; it is stepped after
    every batch (``per_batch``) or after every epoch. Returns the closed doctor."""
    model = kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=momentum)
    sched = once(opt) if once is not None else None
    torch.manual_seed(0)
    x, y = kit.data()
    gen = torch.Generator().manual_seed(0)
    doc = Doctor(model, opt)
    i = 0
    for _ in range(epochs):
        if per_epoch is not None:
            sched = per_epoch(opt)
        for _ in range(EPOCH):
            idx = torch.randint(0, len(x), (32,), generator=gen)  # a fresh batch each step
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            if per_batch:
                sched.step()
            doc.step(loss, inputs=xb, targets=yb)
            i += 1
        if not per_batch:
            sched.step()
        doc.epoch_end({"loss": float(loss.detach())})
    doc.close()
    return doc


def _warm_up(steps):
    return lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: min(1.0, (s + 1) / steps))


def test_a_warm_up_rebuilt_every_epoch_is_named(kit):
    # meant to last 100 steps, it restarts every 20: the LR never passes 0.21x its value
    doc = _loop(kit, per_epoch=_warm_up(100))
    f = kit.one(doc, "lr_warmup_never_ends")
    assert f.step == 0 and f.evidence["period_steps"] == EPOCH
    assert f.evidence["peak_lr"] < 0.05 and f.evidence["configured_lr"] == 0.1
    assert "each epoch" in f.message and "global optimizer steps" in f.fix.text
    assert kit.codes(doc) == {"lr_warmup_never_ends"}  # without the rule: underfitting


def test_a_warm_up_sized_in_steps_but_stepped_per_epoch_is_named(kit):
    doc = _loop(kit, once=_warm_up(1000), per_batch=False)
    f = kit.one(doc, "lr_warmup_never_ends")
    assert f.evidence["epoch_rises"] == 3 and f.evidence["epochs_to_configured"] > 50
    assert "once per epoch" in f.message
    # the tiny LR of the first epochs was seen first; once the cause is known it is info
    assert {g.code for g in doc.findings if g.severity != "info"} == {"lr_warmup_never_ends"}


def test_the_same_warm_up_in_global_steps_is_silent(kit):
    doc = _loop(kit, once=_warm_up(100))
    assert "lr_warmup_never_ends" not in kit.codes(doc)


def test_warm_restarts_and_cyclic_lr_are_silent(kit):
    sgdr = _loop(
        kit, once=lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=EPOCH)
    )
    assert "lr_warmup_never_ends" not in kit.codes(sgdr)
    cyclic = _loop(
        kit,
        momentum=0.9,
        once=lambda o: torch.optim.lr_scheduler.CyclicLR(
            o, base_lr=0.001, max_lr=0.1, step_size_up=10
        ),
    )
    assert "lr_warmup_never_ends" not in kit.codes(cyclic)


def test_a_per_epoch_warm_up_that_reaches_its_value_and_step_decays_are_silent(kit):
    linear = _loop(
        kit,
        once=lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.05, total_iters=3),
        per_batch=False,
    )
    assert "lr_warmup_never_ends" not in kit.codes(linear)
    full = _loop(kit, per_epoch=_warm_up(EPOCH // 2))  # restarts, but reaches 0.1 each epoch
    assert "lr_warmup_never_ends" not in kit.codes(full)
    step = _loop(
        kit, once=lambda o: torch.optim.lr_scheduler.StepLR(o, 1, gamma=0.1), per_batch=False
    )
    assert "lr_warmup_never_ends" not in kit.codes(step)
