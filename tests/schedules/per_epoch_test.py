import pytest

from trainwise.schedules.per_epoch import per_epoch_lr


def test_098_per_epoch():
    got = [per_epoch_lr(s, base_lr=0.1) for s in range(4)]
    assert got == pytest.approx([0.1, 0.098, 0.09604, 0.0941192], rel=1e-12)


def test_constant_within_an_epoch():
    got = [per_epoch_lr(s, base_lr=1.0, factor=0.5, steps_per_epoch=3) for s in range(7)]
    assert got == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
