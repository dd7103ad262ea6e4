import pytest

from trainwise.schedules.linear import linear_lr


def test_decay_to_zero():
    got = [linear_lr(s, base_lr=0.2, total_steps=4) for s in range(6)]
    assert got == pytest.approx([0.2, 0.15, 0.1, 0.05, 0.0, 0.0], abs=1e-15)


def test_end_lr():
    got = [linear_lr(s, base_lr=0.2, total_steps=4, end_lr=0.04) for s in range(5)]
    assert got == pytest.approx([0.2, 0.16, 0.12, 0.08, 0.04], rel=1e-12)


def test_with_warmup():
    got = [linear_lr(s, base_lr=0.2, total_steps=6, warmup_steps=2) for s in range(7)]
    assert got == pytest.approx([0.1, 0.2, 0.2, 0.15, 0.1, 0.05, 0.0], abs=1e-15)


def test_source_recipe_per_epoch():
    # the source's `0.2 * (100 - epoch) / 100`
    assert [linear_lr(e, base_lr=0.2, total_steps=100) for e in (0, 50, 99)] == pytest.approx(
        [0.2, 0.1, 0.002], rel=1e-12
    )
