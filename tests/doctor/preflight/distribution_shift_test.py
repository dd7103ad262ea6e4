import numpy as np
import pytest

from trainwise.doctor.preflight.distribution_shift import (
    check_distribution_shift,
    ks_two_sample,
    match_classes,
)


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


def test_ks_two_sample_is_scipys_test_value_for_value():
    from scipy import stats

    rng = np.random.default_rng(0)
    cases = [
        (rng.normal(size=(900, 6)), rng.normal(size=(300, 6)) + [0, 0.1, 0.3, 0, 0, 1]),
        # many ties: integer pixels
        (rng.integers(0, 17, (400, 5)).astype(float), rng.integers(0, 15, (120, 5)) * 1.0),
        (rng.normal(size=(12, 2)), rng.normal(size=(40, 2))),
    ]
    for a, b in cases:
        ref = stats.ks_2samp(a, b, axis=0, method="asymp")
        d, p = ks_two_sample(a, b)
        assert np.array_equal(d, ref.statistic) and np.array_equal(p, ref.pvalue)
        # p-values only where the statistic is material, and the smallest: the rest are 1
        d, p = ks_two_sample(a, b, min_statistic=0.15)
        wanted = (d >= 0.15) | (d == d.max())
        assert np.array_equal(p[wanted], ref.pvalue[wanted]) and (p[~wanted] == 1).all()
        assert p.min() == ref.pvalue.min()
