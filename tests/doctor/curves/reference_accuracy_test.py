import numpy as np
import torch

from trainwise.doctor.curves.curve_rules import CurveRules
from trainwise.doctor.curves.reference_accuracy import ReferenceAccuracy, reference_accuracy


def test_separable_data_gets_a_high_reference_and_overlapping_data_its_ceiling():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 2))
    y = (x[:, 0] > 0).astype(int)
    assert reference_accuracy(x, y).accuracy > 0.93
    # labels flipped at random for 30% of rows: no model can beat ~0.70 out of sample
    noisy = np.where(rng.random(600) < 0.3, 1 - y, y)
    ref = reference_accuracy(torch.as_tensor(x), torch.as_tensor(noisy))
    assert 0.6 < ref.accuracy < 0.76 and ref.n == 600


def test_no_reference_when_it_cannot_be_measured():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 3))
    assert reference_accuracy(x[:50], (x[:50, 0] > 0).astype(int)) is None  # too few rows
    assert reference_accuracy(x, x[:, 0]) is None  # regression targets
    assert reference_accuracy(x, None) is None


def test_capped_rows_and_deterministic():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3000, 2))
    y = (x.sum(1) > 0).astype(int)
    a, b = reference_accuracy(x, y, max_rows=500), reference_accuracy(x, y, max_rows=500)
    assert a == b and a.n == 500


def _stuck(e):
    return {"loss": 2.0, "val_loss": 2.02, "accuracy": 0.2, "val_accuracy": 0.2}


def _falling(e):
    loss = 2.3 * 0.5**e + 0.05
    return {"loss": loss, "val_loss": loss * 1.1, "accuracy": 0.9, "val_accuracy": 0.9}


def test_the_reference_is_computed_lazily_once_and_only_for_a_stuck_loss():
    calls = []

    def provider():
        calls.append(1)
        return ReferenceAccuracy(accuracy=0.95, n=1000)

    healthy = CurveRules(total_epochs=20, num_classes=10, reference=provider)
    for e in range(20):
        healthy.update(e, _falling(e))
    assert calls == []  # a healthy run never pays for the quick model
    stuck = CurveRules(total_epochs=20, num_classes=10, reference=provider)
    found = [f for e in range(20) for f in stuck.update(e, _stuck(e))]
    assert calls == [1]
    assert [f.code for f in found] == ["underfitting"]
    assert found[0].evidence["reference_accuracy"] == 0.95
    # the resolved reference survives a resume
    again = CurveRules(total_epochs=20, num_classes=10)
    again.load_state_dict(stuck.state_dict())
    assert again.facts.reference_accuracy == 0.95 and again.facts.reference_n == 1000


def test_a_reference_the_network_matches_keeps_a_high_loss_silent():
    rules = CurveRules(total_epochs=20, num_classes=10, reference=ReferenceAccuracy(0.21, 1000))
    assert [f for e in range(20) for f in rules.update(e, _stuck(e))] == []


def test_the_better_of_the_two_quick_models_is_the_reference():
    rng = np.random.default_rng(2)
    # a linear boundary in 40 dimensions: neighbours are far apart, a linear model is not
    x = rng.normal(size=(600, 40))
    y = (x @ rng.normal(size=40) > 0).astype(int)
    linear = reference_accuracy(x, y)
    assert linear.model == "a logistic regression" and linear.accuracy > 0.85
    # a ring inside a ring: no line separates them, neighbours do
    r = np.where(rng.random(600) < 0.5, 1.0, 2.0)
    angle = rng.uniform(0, 2 * np.pi, 600)
    rings = np.c_[r * np.cos(angle), r * np.sin(angle)] + 0.1 * rng.normal(size=(600, 2))
    local = reference_accuracy(rings, (r > 1.5).astype(int))
    assert local.model == "a 20-nearest-neighbour model" and local.accuracy > 0.95
