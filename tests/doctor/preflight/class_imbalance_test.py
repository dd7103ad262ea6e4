import numpy as np
import pytest

from trainwise.doctor.preflight.class_imbalance import (
    check_class_imbalance,
    describe,
    imbalance_of,
)


@pytest.mark.parametrize("ratio", [0.02, 0.1])
def test_seeded_imbalance_fires_with_exact_counts(bundle, ratio):
    healthy, b = bundle("digits"), bundle("digits", imbalance=ratio)
    (f,) = check_class_imbalance(b.y_train, num_classes=10)
    # skewed shares alone are info: the warning needs the run's evidence (the live rule)
    assert (f.code, f.severity, f.where) == ("class_imbalance", "info", "y_train")
    assert "warns if the run shows the model ignoring them" in f.message
    counts = np.bincount(healthy.y_train.numpy(), minlength=10)
    kept = [int(counts[0])] + [max(1, round(ratio * int(c))) for c in counts[1:]]
    assert f.evidence["counts"] == dict(enumerate(kept))
    assert f.evidence["majority_class"] == 0
    assert f.evidence["small_classes"] == list(range(1, 10))
    assert f.fix.overrides == {"data.class_weight": "balanced"}


@pytest.mark.parametrize("name", ["digits", "mnist1d", "circles", "breast_cancer", "wine"])
def test_builtin_class_balance_is_silent(bundle, name):
    assert check_class_imbalance(bundle(name).y_train) == []


def test_a_declared_class_with_no_samples_is_a_warning_at_once():
    y = np.repeat([0, 1, 2], 40)
    (f,) = check_class_imbalance(y, num_classes=4)
    assert f.severity == "warning"  # nothing to learn it from, whatever the loop does
    assert f.evidence["minority_class"] == 3 and f.evidence["minority_count"] == 0
    assert "none at all" in f.message
    assert check_class_imbalance(y) == []  # not declared: three balanced classes


def test_class_weighted_loss_makes_it_info_and_large_minorities_are_left_alone():
    y = np.array([0] * 300 + [1] * 10)
    (f,) = check_class_imbalance(y, class_weighted=True)
    assert f.severity == "info" and "already class-weighted" in f.message
    assert f.evidence["ratio"] == pytest.approx(10 / 300)
    assert check_class_imbalance(np.array([0] * 20000 + [1] * 600)) == []


def test_multi_label_targets_are_not_classes():
    rng = np.random.default_rng(0)
    y = (rng.random((600, 5)) < [0.5, 0.3, 0.2, 0.05, 0.02]).astype(np.float32)  # rare tags
    assert check_class_imbalance(y) == []
    one_hot = np.eye(2)[np.array([0] * 590 + [1] * 10)]  # one class per row: still imbalance
    assert [f.code for f in check_class_imbalance(one_hot)] == ["class_imbalance"]


def test_imbalance_summary_and_its_words():
    ev = imbalance_of({0: 500, 1: 100, 2: 30, 3: 20})
    assert ev["small_classes"] == [2, 3] and ev["ratio"] == pytest.approx(0.04)
    assert (
        describe(ev)
        == "2 classes (2, 3) have 20 to 30 training samples each against 500 for class 0 (1:25)"
    )
    assert imbalance_of({0: 5}) is None and imbalance_of({0: 900, 1: 600}) is None
