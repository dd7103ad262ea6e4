import math

import pytest

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.loss_stuck import HIGH_LOSS_SHARE, loss_stuck, start_epoch
from trainwise.doctor.curves.run_facts import RunFacts


def _history(losses, **extra):
    h = CurveHistory()
    for e, loss in enumerate(losses):
        h.add(e, {"loss": loss, **extra}, step=10 * (e + 1))
    return h


def test_start_epoch_is_a_quarter_of_the_run_or_a_tenth_with_a_reference():
    assert start_epoch(RunFacts(total_epochs=40)) == 9
    assert start_epoch(RunFacts(total_epochs=40, reference_accuracy=0.9)) == 3
    assert start_epoch(RunFacts(total_epochs=40), with_reference=True) == 3
    assert start_epoch(RunFacts(total_epochs=4)) == 2  # at least epoch 2
    assert start_epoch(RunFacts()) == 4  # length unknown


def test_a_flat_loss_near_chance_is_stuck_a_falling_one_is_not():
    facts = RunFacts(total_epochs=20, num_classes=10)
    stuck = loss_stuck(_history([2.2] * 8), facts)
    assert stuck["reference"] == pytest.approx(math.log(10))
    assert stuck["share"] >= HIGH_LOSS_SHARE and stuck["slope"] == 0.0
    assert loss_stuck(_history([2.2 - 0.25 * e for e in range(8)]), facts) is None


def test_before_the_start_only_the_early_pace_test_with_a_reference_applies():
    h = _history([2.3, 2.29])
    assert loss_stuck(h, RunFacts(total_epochs=20, num_classes=10)) is None
    early = loss_stuck(h, RunFacts(total_epochs=20, num_classes=10, reference_accuracy=0.6))
    assert early is not None and early["early"]
    rising_lr = _history([2.3, 2.29], lr_start=1e-4, lr_end=1e-3)
    facts = RunFacts(total_epochs=20, num_classes=10, reference_accuracy=0.6)
    assert loss_stuck(rising_lr, facts) is None  # a warm-up sets no pace yet
