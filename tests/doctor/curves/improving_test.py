import doctest

import numpy as np

import trainwise.doctor.curves.improving as improving_module
from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.improving import still_improving
from trainwise.doctor.curves.run_facts import RunFacts

REF = RunFacts(num_classes=10, n_val=359, reference_accuracy=0.959, reference_n=1078)


def H(rows):
    h = CurveHistory()
    for e, logs in enumerate(rows):
        h.add(e, logs, step=34 * (e + 1))
    return h


def slow_sgd(epochs):
    """exponential_lr_gamma_too_small, fixed: SGD whose loss falls ~0.012 an epoch from 2.30
    while the accuracy climbs from 0.14 to 0.58 (recorded, rounded)."""
    acc = [0.135, 0.216, 0.288, 0.339, 0.374, 0.399, 0.413, 0.454, 0.486, 0.51, 0.52, 0.526]
    acc += [0.559, 0.556, 0.563, 0.564, 0.569, 0.577, 0.581, 0.577]
    return [{"loss": 2.297 - 0.0113 * e, "accuracy": acc[e]} for e in range(epochs)]


def tiny_net(epochs):
    """A 1-unit MLP on digits: the loss creeps down (the class shares, the confidence) while
    the accuracy stays at 0.23 +- 0.01: nothing is being learned."""
    rng = np.random.default_rng(0)
    return [
        {"loss": 2.5 - 0.03 * e, "accuracy": float(0.23 + 0.007 * rng.standard_normal())}
        for e in range(epochs)
    ]


def test_an_accuracy_that_still_climbs_steadily_is_improving():
    imp = still_improving(H(slow_sgd(20)), REF)
    assert imp is not None and imp.measure == "accuracy"
    assert 0.002 < imp.pace < 0.01 and imp.epochs > 20  # slow, yet a useful share of the gap
    assert "more epochs at this pace" in imp.describe()


def test_a_loss_that_creeps_down_at_a_flat_accuracy_is_not_improving():
    assert still_improving(H(tiny_net(20)), REF) is None


def test_too_few_epochs_or_a_crawl_are_not_improving():
    assert still_improving(H(slow_sgd(4)), REF) is None  # no trend in 4 epochs
    crawl = [{"loss": 2.0, "accuracy": 0.3 + 0.0005 * e} for e in range(10)]
    assert still_improving(H(crawl), REF) is None  # 10 epochs would close 1% of the gap


def test_without_accuracy_the_loss_decides():
    falling = [{"loss": 2.3 * 0.93**e} for e in range(8)]  # steady, half way not yet reached
    imp = still_improving(H(falling), RunFacts(num_classes=10))
    assert imp is not None and imp.measure == "loss" and imp.pace > 0
    level = [{"loss": 1.9 + 0.01 * (-1) ** e} for e in range(8)]
    assert still_improving(H(level), RunFacts(num_classes=10)) is None


def test_docstring_examples():
    assert doctest.testmod(improving_module).failed == 0
