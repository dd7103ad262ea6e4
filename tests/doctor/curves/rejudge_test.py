import doctest
import math
from types import SimpleNamespace

import numpy as np
import pytest

import trainwise.doctor.curves.rejudge as rejudge_module
from trainwise.doctor.curves import CurveRules
from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.reference_accuracy import ReferenceAccuracy
from trainwise.doctor.curves.rejudge import standing
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.finding import Finding, Fix


class FakeDoctor:
    """What ``CurveRules.revise`` reads and writes of a Doctor."""

    def __init__(self):
        self._findings, self._codes, self.echoed = [], set(), []
        self.losses = SimpleNamespace(start=lambda: None)
        self.echo = self.echoed.append


def run(rows, rules, steps_per_epoch=34):
    """Feed ``rows`` as Doctor.epoch_end does; return the doctor and each epoch's shown
    (code, severity) pairs of the curve codes."""
    doctor, shown = FakeDoctor(), []
    for e, row in enumerate(rows):
        found = rules.update(e, row, step=steps_per_epoch * (e + 1))
        doctor._findings += found
        doctor._codes |= {f.code for f in found if f.severity != "info"}
        rules.revise(doctor)
        shown.append(sorted((f.code, f.severity) for f in doctor._findings))
    return doctor, shown


def digits_rules(**kw):
    return CurveRules(
        num_classes=10, n_val=359, reference=ReferenceAccuracy(0.959, 1078, "a kNN"), **kw
    )


# -- underfitting --------------------------------------------------------------------------------
SLOW_ACC = [0.135, 0.216, 0.288, 0.339, 0.374, 0.399, 0.413, 0.454, 0.486, 0.51, 0.52, 0.526]
SLOW_ACC += [0.559, 0.556, 0.563, 0.564, 0.569, 0.577, 0.581, 0.577]


def slow_sgd():
    """exponential_lr_gamma_too_small, fixed (recorded, rounded): the loss still falls ~0.01 an
    epoch at the end, the accuracy still climbs; final test accuracy 0.41-0.59."""
    return [
        {"loss": 2.297 - 0.0113 * e, "accuracy": a, "val_loss": 2.29 - 0.0112 * e}
        for e, a in enumerate(SLOW_ACC)
    ]


def head_only():
    """optimizer_given_only_the_head, fixed (recorded, rounded): 2 slow epochs, then it learns
    (final test accuracy 0.89-0.91)."""
    loss = [2.309, 2.268, 2.203, 2.058, 1.772, 1.381, 1.036, 0.81, 0.649, 0.539, 0.449, 0.393]
    acc = [0.10, 0.16, 0.293, 0.372, 0.471, 0.594, 0.679, 0.734, 0.79, 0.835, 0.864, 0.883]
    return [{"loss": v, "accuracy": a} for v, a in zip(loss, acc, strict=True)]


def tiny_net():
    """A 1-unit MLP on digits (the seeded underfitting scenario): the loss creeps from 2.5 to
    1.9 over 20 epochs, the accuracy stays at 0.2-0.3."""
    rng = np.random.default_rng(1)
    return [
        {"loss": 2.45 - 0.03 * e, "accuracy": float(0.23 + 0.01 * rng.standard_normal())}
        for e in range(20)
    ]


def test_an_early_verdict_on_a_run_that_keeps_improving_ends_as_info():
    doctor, shown = run(slow_sgd(), digits_rules())
    assert ("underfitting", "warning") in shown[3]  # spoken early, as before
    (f,) = doctor._findings
    assert f.severity == "info" and "still improving" in f.message
    assert "Train longer" in f.message and "more epochs at this pace" in f.message
    assert f.fix.text.startswith("train longer")  # not "a bigger model" while it improves
    assert "underfitting" not in doctor._codes


def test_an_early_verdict_on_a_slow_start_the_run_outgrows_is_set_aside():
    rules = digits_rules()
    doctor, shown = run(head_only(), rules)
    assert ("underfitting", "warning") in shown[1]
    assert doctor._findings == [] and [f.code for f in rules.withdrawn] == ["underfitting"]


def test_a_loss_levelled_off_far_below_the_reference_stays_a_warning():
    doctor, shown = run(tiny_net(), digits_rules(total_epochs=20))
    assert [(f.code, f.severity) for f in doctor._findings] == [("underfitting", "warning")]


def test_a_verdict_set_aside_comes_back_when_the_run_stalls_again():
    rows = head_only()[:6] + [{"loss": 1.38 + 0.002 * e, "accuracy": 0.59} for e in range(12)]
    doctor, shown = run(rows, digits_rules())
    assert ("underfitting", "warning") not in shown[6]
    assert [(f.code, f.severity) for f in doctor._findings] == [("underfitting", "warning")]
    assert [f.code for f in doctor.echoed] == ["underfitting"]  # the comeback is echoed


def test_rejudged_verdicts_survive_a_resume():
    rules = digits_rules()
    run(head_only(), rules)
    again = digits_rules()
    again.load_state_dict(rules.state_dict())
    assert again.verdicts.keys() == {"underfitting"} and again.hidden == {"underfitting"}


# -- overfitting and overconfident_predictions ----------------------------------------------------
def memorized(n_epochs=40, acc_after=0.972):
    """loss_summed_over_batch, fixed (recorded, rounded): 36 validation samples, one of them
    wrong; the validation loss bottoms at 0.051 and climbs to 0.082 while the accuracy holds."""
    val = [1.11, 1.08, 1.03, 0.98, 0.92, 0.83, 0.71, 0.56, 0.39, 0.24, 0.16, 0.127, 0.12, 0.108]
    val += [0.095, 0.081, 0.069, 0.060, 0.054, 0.0514, 0.0512, 0.053, 0.056, 0.060, 0.065]
    val += [0.069, 0.073, 0.0767, 0.079, 0.081, 0.082, 0.0826, 0.0824, 0.082, 0.0817, 0.081]
    val += [0.080, 0.0786, 0.0775, 0.0764]
    rows = []
    for e in range(n_epochs):
        acc = 0.5 + 0.47 * min(1.0, e / 9) if e < 21 else acc_after
        rows.append({"loss": 1.1 * math.exp(-e / 3.5), "val_loss": val[e], "val_accuracy": acc})
    return rows


@pytest.mark.parametrize("code", ["overfitting", "overconfident_predictions"])
def test_a_rise_worth_one_validation_sample_is_info_and_a_large_val_set_warns(code):
    doctor, shown = run(memorized(), CurveRules(num_classes=3, n_val=36))
    (f,) = [f for f in doctor._findings if f.code == code]
    assert f.severity == "info" and "validation samples going from a sure answer" in f.message
    doctor, _ = run(memorized(), CurveRules(num_classes=3, n_val=1300))
    assert {(f.code, f.severity) for f in doctor._findings} >= {(code, "warning")}


def slow_rise(k=0.003, n=30):
    """multilabel_with_softmax_cross_entropy, fixed (shape): validation loss 0.40 at epoch 8,
    then a slow climb of ``k`` an epoch while validation accuracy holds at 0.81."""
    rows = []
    for e in range(n):
        val = 0.6 * math.exp(-e / 2.0) + 0.40 if e <= 8 else 0.40 + k * (e - 8)
        val += 0.002 * (-1) ** e
        rows.append({"loss": 0.5 - 0.01 * e, "val_loss": val, "val_accuracy": 0.81})
    return rows


def test_a_rise_under_the_material_bar_with_accuracy_held_is_info_until_it_grows():
    doctor, shown = run(slow_rise(n=23), CurveRules(n_val=300))  # +9%: found, not material
    assert {(f.code, f.severity) for f in doctor._findings} == {
        ("overfitting", "info"),
        ("overconfident_predictions", "info"),
    }
    doctor, _ = run(slow_rise(n=40), CurveRules(n_val=300))  # +24% by then: material
    assert {(f.code, f.severity) for f in doctor._findings} == {
        ("overfitting", "warning"),
        ("overconfident_predictions", "warning"),
    }


def test_a_small_rise_that_costs_accuracy_warns():
    f = Finding(
        "overfitting", "warning", "m", Fix("x"), evidence={"best_val_loss": 0.4, "best_epoch": 2}
    )
    h = CurveHistory()
    accs = [0.80, 0.81, 0.82, 0.78, 0.74, 0.70]
    for e, (v, a) in enumerate(zip([0.6, 0.45, 0.40, 0.42, 0.43, 0.435], accs, strict=True)):
        h.add(e, {"loss": 0.5 - 0.03 * e, "val_loss": v, "val_accuracy": a})
    assert standing(f, h, RunFacts(n_val=300))[0] == "warning"


def test_a_rise_that_fell_back_to_the_best_is_set_aside():
    f = Finding(
        "overfitting", "warning", "m", Fix("x"), evidence={"best_val_loss": 0.2, "best_epoch": 1}
    )
    h = CurveHistory()
    for e, v in enumerate([0.5, 0.2, 0.3, 0.32, 0.2, 0.205, 0.2]):
        h.add(e, {"loss": 0.3 - 0.02 * e, "val_loss": v})
    assert standing(f, h, RunFacts(n_val=300))[0] == "hidden"


def test_docstring_examples():
    assert doctest.testmod(rejudge_module).failed == 0
