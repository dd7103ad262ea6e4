import pytest

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.val_loss_rise import find_val_loss_rise


def _history(train, val):
    h = CurveHistory()
    for e, (t, v) in enumerate(zip(train, val)):
        h.add(e, {"loss": t, "val_loss": v})
    return h


TRAIN = [2.0, 1.0, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1, 0.08, 0.06]


def test_large_lasting_rise_is_found_with_its_numbers():
    val = [2.0, 1.2, 1.0, 0.9, 1.1, 1.3, 1.4, 1.5, 1.6, 1.7]
    rise = find_val_loss_rise(_history(TRAIN, val), RunFacts(total_epochs=10))
    assert (rise.best, rise.onset, rise.now) == (3, 4, 9)
    assert rise.best_val_loss == 0.9 and rise.val_loss == 1.7
    assert rise.relative_rise == pytest.approx(1.7 / 0.9 - 1)
    assert rise.gap == pytest.approx((1.7 - 0.06) / 1.7)
    assert rise.epochs_above == 3
    assert rise.train_loss_at_best == 0.4


def test_two_high_epochs_are_not_enough_when_three_are_required():
    val = [2.0, 1.2, 1.0, 0.9, 0.92, 0.9, 0.91, 0.9, 1.6, 1.7]
    assert find_val_loss_rise(_history(TRAIN, val), RunFacts(total_epochs=10)) is None
    # the same last three epochs high: found
    val[7] = 1.5
    assert find_val_loss_rise(_history(TRAIN, val), RunFacts(total_epochs=10)) is not None


def test_a_lucky_single_epoch_does_not_set_the_bar():
    # one epoch dips to 0.5, the plateau around it sits at 0.9: measured from the running
    # median (0.9), a plateau at 0.93 is no rise, though it is 86% above the dip
    val = [2.0, 1.2, 0.9, 0.5, 0.9, 0.93, 0.92, 0.93, 0.93, 0.93]
    assert find_val_loss_rise(_history(TRAIN, val), RunFacts(total_epochs=10)) is None


def test_no_gap_to_training_loss_means_no_rise():
    train = [2.0, 1.5, 1.3, 1.2, 1.2, 1.2, 1.25, 1.3, 1.35, 1.4]
    val = [2.0, 1.2, 1.0, 0.9, 1.1, 1.3, 1.4, 1.5, 1.6, 1.7]
    assert find_val_loss_rise(_history(train, val), RunFacts(total_epochs=10)) is None


def test_steady_small_climb_is_found_through_the_trend_test():
    # +1.2% per epoch with no noise: stays under "10% + 2 jitter" for a while, but the climb
    # is monotone (Kendall p < 0.01), so 5% + jitter suffices
    train = [1.0 / (e + 1) for e in range(20)]
    val = [1.0] * 6 + [1.0 + 0.012 * k for k in range(1, 15)]
    found = [
        find_val_loss_rise(_history(train[:n], val[:n]), RunFacts(total_epochs=20))
        for n in range(1, 21)
    ]
    first = next(i for i, r in enumerate(found) if r is not None)
    rise = found[first]
    assert rise.threshold == pytest.approx(1.05)  # the trend path, not 1.10
    assert rise.relative_rise < 0.10
    # the trend path needs the last half of the 3-epoch window (2 epochs) above 1.05:
    # epochs 10-11 (1.06, 1.072)
    assert first == 11 and rise.epochs_above == 2


def test_needs_validation_loss_and_enough_epochs():
    h = CurveHistory()
    for e in range(10):
        h.add(e, {"loss": 1.0 / (e + 1)})
    assert find_val_loss_rise(h, RunFacts()) is None
    short = _history(TRAIN[:5], [2.0, 1.0, 0.9, 1.5, 1.9])
    assert find_val_loss_rise(short, RunFacts()) is None
