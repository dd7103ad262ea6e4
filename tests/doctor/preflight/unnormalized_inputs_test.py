import numpy as np
import pytest

from trainwise.doctor.preflight.unnormalized_inputs import check_unnormalized_inputs


@pytest.mark.parametrize(
    "name,standardize",
    [
        ("mnist1d", "none"),  # raw MNIST-1D trains fine: must not fire
        ("digits", "none"),  # raw pixels 0..16, with constant border pixels
        ("circles", "none"),
        ("blobs", "none"),
        ("iris", "none"),
        ("digits", "auto"),
        ("wine", "auto"),
        ("breast_cancer", "auto"),
    ],
)
def test_healthy_builtin_data_is_silent(bundle, name, standardize):
    assert check_unnormalized_inputs(bundle(name, standardize).x_train) == []


def test_scaled_fault_fires_with_the_scale_in_the_evidence(bundle):
    (f,) = check_unnormalized_inputs(bundle("mnist1d", "none", scale=100.0).x_train)
    assert (f.code, f.severity, f.where) == ("unnormalized_inputs", "warning", "x_train")
    assert f.evidence["reasons"] == ["huge"]
    assert 80 < f.evidence["typical_scale"] < 130
    assert f.fix.overrides == {"data.standardize": "auto"}
    assert check_unnormalized_inputs(bundle("mnist1d", "auto", scale=100.0).x_train) == []


def test_one_blown_up_feature_is_named(bundle):
    (f,) = check_unnormalized_inputs(bundle("circles", "none", scale=100.0, features=[1]).x_train)
    assert f.evidence["reasons"] == ["spread"]
    assert f.evidence["largest_feature"] == 1
    assert f.evidence["scale_ratio"] == pytest.approx(100, rel=0.05)


def test_offset_and_tiny_scale():
    x = np.random.default_rng(0).normal(size=(400, 6))
    (off,) = check_unnormalized_inputs(x + 8.0)
    assert off.evidence["reasons"] == ["offset"]
    assert off.evidence["offset_over_std"] == pytest.approx(8, rel=0.1)
    (tiny,) = check_unnormalized_inputs(x * 1e-4)
    assert tiny.evidence["reasons"] == ["tiny"]


def test_real_tables_with_mixed_units_fire(bundle):
    for name in ("wine", "breast_cancer"):
        (f,) = check_unnormalized_inputs(bundle(name, "none").x_train)
        assert "spread" in f.evidence["reasons"] and f.evidence["scale_ratio"] > 100


def test_non_finite_rows_are_ignored_and_constant_inputs_reported():
    x = np.random.default_rng(1).normal(size=(300, 4))
    x[5, 2] = np.nan
    assert check_unnormalized_inputs(x) == []
    (const,) = check_unnormalized_inputs(np.zeros((10, 3)))
    assert const.evidence["reasons"] == ["constant"] and const.evidence["features"] == 3
