from trainwise.schedules.warmup import warmup_lr


def test_linear_ramp_then_flat():
    assert [warmup_lr(s, base_lr=1.0, warmup_steps=4) for s in range(6)] == [
        0.25,
        0.5,
        0.75,
        1.0,
        1.0,
        1.0,
    ]


def test_no_warmup():
    assert warmup_lr(0, base_lr=0.3, warmup_steps=0) == 0.3
