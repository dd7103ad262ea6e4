import numpy as np
import pytest

from trainwise.doctor.preflight.distribution_shift import check_distribution_shift, match_classes


@pytest.mark.parametrize("name", ["digits", "mnist1d", "circles"])
def test_covariate_shift_fault_fires_on_val_and_test(bundle, name):
    b = bundle(name, covariate_shift=0.5)
    for field, x, y in (("x_val", b.x_val, b.y_val), ("x_test", b.x_test, b.y_test)):
        (f,) = check_distribution_shift(b.x_train, x, y_train=b.y_train, y_other=y, field=field)
        assert (f.code, f.severity, f.where) == ("distribution_shift", "warning", field)
        assert f.evidence["median_shift"] == pytest.approx(0.5, abs=0.25)
        assert f.fix.overrides == {"data.split": "stratified"}


@pytest.mark.parametrize("name", ["digits", "mnist1d", "circles", "regression"])
def test_clean_builtin_splits_are_silent(bundle, name):
    b = bundle(name)
    assert check_distribution_shift(b.x_train, b.x_val) == []
    assert check_distribution_shift(b.x_train, b.x_test) == []


def test_random_resplits_stay_silent(bundle):
    b = bundle("circles")
    x = np.concatenate([b.x_train.numpy(), b.x_val.numpy()])
    rng = np.random.default_rng(0)
    alarms = 0
    for _ in range(100):
        p = rng.permutation(len(x))
        alarms += bool(check_distribution_shift(x[p[100:]], x[p[:100]]))
    assert alarms == 0


def test_class_matching_keeps_an_imbalanced_train_split_from_looking_shifted(bundle):
    b = bundle("digits", imbalance=0.05)
    matched = check_distribution_shift(b.x_train, b.x_val, y_train=b.y_train, y_other=b.y_val)
    assert matched == []
    assert check_distribution_shift(b.x_train, b.x_val)  # without labels the prior shift shows


def test_match_classes_follows_the_other_split_proportions():
    y_tr = np.array([0] * 90 + [1] * 10 + [2] * 5)
    y_ot = np.array([0, 1] * 20 + [3] * 4)  # class 2 only in train, 3 only in other
    tr, ot = match_classes(y_tr, y_ot)
    assert np.bincount(y_tr[tr]).tolist() == [10, 10]
    assert len(ot) == 40


def test_variance_change_is_found_by_ks():
    rng = np.random.default_rng(0)
    (f,) = check_distribution_shift(rng.normal(size=(2000, 2)), rng.normal(size=(500, 2)) * 2)
    assert f.evidence["ks_statistic"] > 0.15 and f.evidence["features_shifted"] == 2
