import pytest

from trainwise.schedules.exponential import exponential_lr


def test_smooth_table():
    got = [exponential_lr(s, base_lr=0.1, decay_rate=0.5, decay_steps=2) for s in range(6)]
    r = 0.5**0.5
    assert got == pytest.approx([0.1, 0.1 * r, 0.05, 0.05 * r, 0.025, 0.025 * r], rel=1e-12)


def test_staircase_table():
    got = [
        exponential_lr(s, base_lr=0.1, decay_rate=0.5, decay_steps=2, staircase=True)
        for s in range(6)
    ]
    assert got == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025], rel=1e-12)


def test_tensorflow_example():
    # the TF docs' example: 0.1 decayed by 0.96 every 100 000 steps
    assert exponential_lr(
        100_000, base_lr=0.1, decay_rate=0.96, decay_steps=100_000
    ) == pytest.approx(0.096)
