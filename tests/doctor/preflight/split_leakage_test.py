import numpy as np
import pytest

from trainwise.doctor.preflight.split_leakage import check_split_leakage


def test_exact_copies_are_counted(bundle):
    b = bundle("digits")
    x_val = b.x_val.clone()
    x_val[:30] = b.x_train[100:130]
    (f,) = check_split_leakage(b.x_train, x_val)
    assert (f.code, f.severity, f.where) == ("split_leakage", "warning", "x_val")
    assert (f.evidence["copies"], f.evidence["exact"]) == (30, 30)
    assert f.evidence["share"] == pytest.approx(30 / len(x_val))
    assert f.evidence["first_samples"] == [0, 1, 2, 3, 4]


def test_near_copies_count_and_natural_neighbours_do_not(bundle):
    b = bundle("mnist1d")
    rng = np.random.default_rng(0)
    near = b.x_train[:40].numpy() + rng.normal(scale=1e-4, size=(40, 1, 40)).astype(np.float32)
    (f,) = check_split_leakage(b.x_train, np.concatenate([b.x_val.numpy(), near]), field="x_test")
    assert f.evidence["copies"] == 40 and f.evidence["exact"] == 0 and f.where == "x_test"


@pytest.mark.parametrize("name", ["mnist1d", "digits", "circles", "iris", "regression"])
def test_builtin_splits_are_silent(bundle, name):
    b = bundle(name)
    assert check_split_leakage(b.x_train, b.x_val) == []
    assert check_split_leakage(b.x_train, b.x_test, field="x_test") == []


def test_a_single_copy_is_not_enough():
    x = np.random.default_rng(0).normal(size=(300, 4))
    assert check_split_leakage(x[:200], np.concatenate([x[200:], x[:1]])) == []
    assert check_split_leakage(x[:200], None) == []
