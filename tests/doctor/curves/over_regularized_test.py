import json
import math

import pytest

from trainwise.doctor.curves.over_regularized import (
    check_over_regularized,
    strong_regularization,
)
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.underfit import find_underfit

CASES = {
    "overreg_mnist1d_wd": ({"optimizer.weight_decay": 0.1}, "weight_decay 1"),
    "overreg_digits_l2": ({"regularization.l2": 1.0}, "l2 10"),
    "overreg_circles_dropout": ({"model.dropout": 0.2}, "dropout 0.9"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_recorded_over_regularized_runs_are_reported(curves, name):
    rec = curves.load(name)
    facts = curves.facts(rec)
    epoch, f = curves.first_detection(check_over_regularized, rec["history"], facts)
    overrides, named = CASES[name]
    assert f is not None and f.code == "over_regularized"
    assert epoch <= rec["total_epochs"] // 4 + 1
    assert f.fix.overrides == overrides
    assert named in f.message and named in f.fix.text
    assert f.evidence["loss_share"] >= 0.5
    json.dumps(f.to_dict())


def test_digits_l2_is_caught_on_the_loss_alone(curves):
    # the penalty shrinks the logits: loss near chance although accuracy reaches 0.5+
    rec = curves.load("overreg_digits_l2")
    f = curves.first_detection(check_over_regularized, rec["history"], curves.facts(rec))[1]
    assert f.evidence["loss_share"] >= 0.65 and f.evidence["accuracy"] > 0.5


def test_the_same_curves_without_strong_regularization_are_not_over_regularized(curves):
    for name in CASES:
        rec = curves.load(name)
        facts = RunFacts(total_epochs=rec["total_epochs"], num_classes=rec["num_classes"])
        assert curves.first_detection(check_over_regularized, rec["history"], facts)[1] is None


def test_healthy_runs_with_their_regularization_stay_silent(curves):
    # the default recipe carries AdamW weight decay 0.05, dropout 0.1 and smoothing 0.1
    for name in curves.healthy:
        rec = curves.load(name)
        f = curves.first_detection(check_over_regularized, rec["history"], curves.facts(rec))
        assert f[1] is None, name
    rec = curves.load("healthy_default_recipe")
    strong = {"weight_decay": 1.0, "optimizer": "adamw", "dropout": 0.6}
    facts = RunFacts(total_epochs=30, num_classes=10, regularization=strong)
    assert curves.first_detection(check_over_regularized, rec["history"], facts)[1] is None


@pytest.mark.parametrize(
    ("reg", "strong"),
    [
        ({"weight_decay": 0.05, "optimizer": "adamw"}, {}),
        ({"weight_decay": 0.5, "optimizer": "adamw"}, {"weight_decay": 0.5}),
        ({"weight_decay": 0.05, "optimizer": "sgd"}, {"weight_decay": 0.05}),
        ({"weight_decay": 5e-4, "optimizer": "sgd"}, {}),
        ({"weight_decay": 0.05}, {}),
        ({"weight_decay": 0.2}, {"weight_decay": 0.2}),
        ({"l2": 1e-4, "l1": 1e-5, "dropout": 0.3, "label_smoothing": 0.1}, {}),
        (
            {"l2": 0.01, "l1": 0.01, "dropout": 0.5, "label_smoothing": 0.3},
            {"l2": 0.01, "l1": 0.01, "dropout": 0.5, "label_smoothing": 0.3},
        ),
    ],
)
def test_strength_table(reg, strong):
    assert strong_regularization(RunFacts(regularization=reg)) == strong


# -- early verdicts with the reference model (the seeded-fault suite's curves) -----------------
def _circles_l2():
    """Circles MLP with L2 1.0: validation loss pinned at chance (ln 2 = 0.693) and validation
    accuracy at 0.5, the training loss wandering just below with the batches' noise."""
    train = [0.676, 0.667, 0.646, 0.661, 0.640, 0.653, 0.659, 0.657]
    val = [0.696, 0.695, 0.688, 0.685, 0.637, 0.635, 0.681, 0.620]
    acc = [0.627, 0.655, 0.639, 0.645, 0.658, 0.631, 0.631, 0.630]
    return [
        {"loss": t, "val_loss": v, "accuracy": a, "val_accuracy": 0.5}
        for t, v, a in zip(train, val, acc)
    ]


def _circles_facts(reg):
    return RunFacts(
        total_epochs=40,
        num_classes=2,
        n_val=160,
        regularization=reg,
        reference_accuracy=0.82,
        reference_n=640,
    )


def test_a_penalty_pinning_the_validation_loss_is_reported_after_two_epochs(curves):
    epoch, f = curves.first_detection(
        check_over_regularized, _circles_l2(), _circles_facts({"l2": 1.0})
    )
    assert (f.epoch, epoch) == (0, 1)
    ev = f.evidence
    assert ev["loss"] == pytest.approx(math.log(2)) and ev["loss_share"] == pytest.approx(1.0)
    assert ev["accuracy"] == pytest.approx(0.655) and ev["reference_accuracy"] == 0.82
    assert "l2 1" in f.message and f.fix.overrides == {"regularization.l2": 0.1}
    # the better-of-both reading alone (the training loss falls 0.015/epoch over 37 epochs
    # left) would not call it this early
    h = curves.history(_circles_l2()[:3])
    assert find_underfit(h, _circles_facts({"l2": 1.0})) is None
    # without strong regularization it is not this rule's business
    assert (
        curves.first_detection(check_over_regularized, _circles_l2(), _circles_facts({}))[1] is None
    )


def test_a_validation_loss_lagging_a_fitted_training_set_is_not_over_regularization(curves):
    # MNIST-1D deep net: the validation loss flattens at 1.39-1.43 (60% of the way to chance)
    # and validation accuracy at 0.41-0.42 (below 20-NN's 0.49) while the training side keeps
    # improving past the reference: a generalization gap, not a model held back
    train = [2.097, 1.684, 1.496, 1.371, 1.306, 1.238, 1.166, 1.125, 1.071, 1.014]
    val = [1.846, 1.574, 1.455, 1.392, 1.428, 1.393, 1.401, 1.408, 1.318, 1.340]
    tacc = [0.235, 0.372, 0.436, 0.477, 0.494, 0.522, 0.552, 0.568, 0.587, 0.611]
    vacc = [0.307, 0.400, 0.400, 0.420, 0.417, 0.405, 0.468, 0.460, 0.490, 0.497]
    rows = [
        {"loss": a, "val_loss": b, "accuracy": c, "val_accuracy": d}
        for a, b, c, d in zip(train, val, tacc, vacc)
    ]
    facts = RunFacts(
        total_epochs=10,
        num_classes=10,
        n_val=400,
        regularization={"dropout": 0.5},
        reference_accuracy=0.487,
        reference_n=2000,
    )
    assert curves.first_detection(check_over_regularized, rows, facts)[1] is None


def test_dropout_too_strong_to_fit_the_training_set_is_reported_after_two_epochs(curves):
    # digits MLP with dropout 0.95: the training loss starts far above chance (3.1, 2.7) and
    # training accuracy stays at 0.12-0.14, while validation (dropout off) reaches 0.64
    train = [3.113, 2.703, 2.428, 2.164, 2.094, 2.001]
    tacc = [0.117, 0.141, 0.169, 0.212, 0.225, 0.255]
    val = [2.003, 1.743, 1.607, 1.511, 1.440, 1.379]
    vacc = [0.413, 0.643, 0.804, 0.846, 0.832, 0.860]
    rows = [
        {"loss": a, "accuracy": b, "val_loss": c, "val_accuracy": d}
        for a, b, c, d in zip(train, tacc, val, vacc)
    ]
    facts = RunFacts(
        total_epochs=20,
        num_classes=10,
        n_val=143,
        regularization={"dropout": 0.95},
        reference_accuracy=0.946,
        reference_n=1295,
    )
    epoch, f = curves.first_detection(check_over_regularized, rows, facts)
    assert (f.epoch, epoch) == (0, 1)
    assert f.evidence["accuracy"] == pytest.approx(0.141) and f.fix.overrides == {
        "model.dropout": 0.2
    }
    # a moderate dropout whose training accuracy climbs 0.4 -> 0.7 is left alone
    ok = [dict(r, accuracy=min(0.95, 0.4 + 0.3 * i)) for i, r in enumerate(rows)]
    ok = [dict(r, loss=min(r["loss"], 1.8 - 0.4 * i)) for i, r in enumerate(ok)]
    facts = RunFacts(**{**facts.__dict__, "regularization": {"dropout": 0.5}})
    assert curves.first_detection(check_over_regularized, ok, facts)[1] is None
