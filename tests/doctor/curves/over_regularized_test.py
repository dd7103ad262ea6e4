import json

import pytest

from trainwise.doctor.curves.over_regularized import (
    check_over_regularized,
    strong_regularization,
)
from trainwise.doctor.curves.run_facts import RunFacts

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
