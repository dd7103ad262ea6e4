import math

import pytest

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.run_facts import RunFacts, check_regularization, smoothed_entropy
from trainwise.errors import ConfigError


def test_smoothed_entropy_closed_form():
    # C = 10, s = 0.1: the true class gets 0.91, the others 0.01 each
    expected = -(0.91 * math.log(0.91) + 9 * 0.01 * math.log(0.01))
    assert smoothed_entropy(10, 0.1) == pytest.approx(expected)
    # binary, s = 0.2 (Keras: y * 0.8 + 0.1): targets 0.9 / 0.1
    assert smoothed_entropy(2, 0.2) == pytest.approx(-(0.9 * math.log(0.9) + 0.1 * math.log(0.1)))
    assert smoothed_entropy(10, 0.0) == 0.0


def test_check_regularization_normalizes_and_rejects():
    assert check_regularization(None) == {}
    assert check_regularization({"l2": 1e-4, "dropout": None, "optimizer": " AdamW "}) == {
        "l2": 1e-4,
        "optimizer": "adamw",
    }
    with pytest.raises(ConfigError, match=r"regularization\.decay: 'decay' is not a known key"):
        check_regularization({"decay": 0.1})
    with pytest.raises(ConfigError, match=r"regularization\.dropout: 1\.0 is not allowed"):
        check_regularization({"dropout": 1.0})
    with pytest.raises(ConfigError, match=r"regularization\.l2: -1 is not allowed"):
        check_regularization({"l2": -1})
    with pytest.raises(ConfigError, match="regularization: expected a dict"):
        check_regularization([0.1])
    assert isinstance(ConfigError("x"), ValueError)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"total_epochs": 0}, "total_epochs: 0"),
        ({"n_val": 2.5}, "n_val: 2.5"),
        ({"num_classes": 1}, "num_classes: 1"),
        ({"task": "ranking"}, "task: 'ranking' is not a known task"),
        ({"chance_loss": -1.0}, "chance_loss: -1.0"),
    ],
)
def test_bad_facts_name_the_field(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        RunFacts(**kwargs)


@pytest.mark.parametrize(
    ("total", "p"), [(None, 3), (10, 3), (30, 3), (60, 5), (100, 8), (1000, 8)]
)
def test_persistence_scales_with_the_run(total, p):
    assert RunFacts(total_epochs=total).persistence() == p


def test_task_classes_and_reference_loss():
    h = CurveHistory()
    h.add(0, {"loss": 3.0, "val_loss": 3.5, "accuracy": 0.2})
    assert RunFacts().task_of(h) == "classification"
    assert RunFacts(num_classes=10).reference_loss(h) == (pytest.approx(math.log(10)), "ln 10")
    assert RunFacts(task="binary").classes_of(h) == 2
    # no class count: the first epoch's worse loss
    assert RunFacts().reference_loss(h) == (3.5, "first epoch")
    assert RunFacts(chance_loss=4.0).reference_loss(h) == (4.0, "given")
    r = CurveHistory()
    r.add(0, {"loss": 50.0, "mse": 50.0})
    assert RunFacts().task_of(r) == "regression"
    assert RunFacts(num_classes=3).reference_loss(r) == (50.0, "first epoch")  # regression
    g = CurveHistory()
    g.add(0, {"loss": 1.0, "num_classes": 4})
    assert RunFacts().classes_of(g) == 4
    assert RunFacts().task_of(g) is None


def test_loss_floor_needs_classes_and_smoothing():
    h = CurveHistory()
    h.add(0, {"loss": 1.0})
    facts = RunFacts(num_classes=10, regularization={"label_smoothing": 0.1})
    assert facts.loss_floor(h) == pytest.approx(smoothed_entropy(10, 0.1))
    assert RunFacts(regularization={"label_smoothing": 0.1}).loss_floor(h) == 0.0
