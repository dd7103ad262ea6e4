import dataclasses
import math

import pytest

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.underfit import (
    DECISIVE_MIN_STEPS,
    PERSISTENCE,
    Underfit,
    decisive,
    find_underfit,
    one_epoch_may_decide,
    reference_margin,
    share_above_chance,
)


def test_reference_margin_grows_on_small_sets():
    big = RunFacts(n_val=10_000, reference_accuracy=0.9, reference_n=10_000)
    small = RunFacts(n_val=50, reference_accuracy=0.9, reference_n=100)
    assert reference_margin(big, 0.9) == pytest.approx(0.02)  # the floor
    assert reference_margin(small, 0.9) == pytest.approx(2 * math.sqrt(0.09 / 100 + 0.09 / 50))
    assert reference_margin(RunFacts(), 0.5) is None


def test_share_above_chance():
    assert share_above_chance(0.1, 10) == pytest.approx(0.0)
    assert share_above_chance(1.0, 10) == pytest.approx(1.0)
    assert share_above_chance(0.75, 2) == pytest.approx(0.5)


def _steps(*ends):
    h = CurveHistory()
    for e, end in enumerate(ends):
        h.add(e, {"loss": 2.3}, step=end)
    return h


def test_one_epoch_may_decide_only_a_short_run_with_a_long_enough_epoch():
    short = RunFacts(total_epochs=10)  # waiting 2 epochs is 20% of it
    assert one_epoch_may_decide(short, _steps(DECISIVE_MIN_STEPS), 0)
    assert not one_epoch_may_decide(short, _steps(DECISIVE_MIN_STEPS - 1), 0)
    assert one_epoch_may_decide(short, _steps(None), 0)  # length not logged
    long = RunFacts(total_epochs=int(PERSISTENCE / 0.1))  # 2 epochs are 10%: wait for them
    assert not one_epoch_may_decide(long, _steps(100), 0)
    assert not one_epoch_may_decide(RunFacts(), _steps(100), 0)


def test_decisive_needs_no_headway_and_accuracy_far_below_the_reference():
    facts = RunFacts(total_epochs=10, num_classes=10, reference_accuracy=0.58)
    u = Underfit(0, 2.3, 2.3, 2.3, "given", 0.0, 1.0, 0.12, 0.02, 0.58, 0.04, 0.0, 9)
    assert decisive(u, facts)
    assert not decisive(dataclasses.replace(u, loss_share=0.8), facts)  # some headway
    assert not decisive(dataclasses.replace(u, accuracy_share=0.3), facts)
    assert not decisive(u, RunFacts(total_epochs=10, reference_accuracy=0.58))  # classes unknown


def test_find_underfit_needs_the_verdict_on_consecutive_epochs():
    facts = RunFacts(total_epochs=40, num_classes=10)
    h = CurveHistory()
    found = []
    for e in range(16):
        h.add(e, {"loss": 2.2, "accuracy": 0.15}, step=10 * (e + 1))
        found.append(find_underfit(h, facts))
    first = next(e for e, u in enumerate(found) if u is not None)
    assert found[first].position == first - PERSISTENCE + 1  # the onset: the streak's start
