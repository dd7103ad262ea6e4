import numpy as np
import pytest

from trainwise.doctor.preflight.unshuffled_data import check_unshuffled


def test_expected_changes_match_the_closed_form():
    y = np.repeat([0, 1], 50)  # sum n_c (n_c - 1) = 4900 over n (n - 1) = 9900
    (f,) = check_unshuffled(y, shuffle=False)
    assert f.evidence["expected"] == pytest.approx(99 * (1 - 4900 / 9900))
    assert f.evidence["changes"] == 1
    assert f.evidence["longest_run"] == 50 and f.evidence["longest_run_label"] == 0
    assert (f.code, f.severity, f.where) == ("unshuffled_data", "warning", "y_train")
    assert f.fix.overrides == {"data.shuffle": True}


def test_an_unknown_order_is_info_until_the_batches_tell():
    # a plain loop's check_data sees the arrays, not the order training uses: the live rule
    # decides; sorted regression targets (no live rule) still warn
    (f,) = check_unshuffled(np.repeat([0, 1], 50))
    assert f.severity == "info" and "the batches will tell" in f.message
    (g,) = check_unshuffled(np.arange(100.0), task="regression")
    assert g.severity == "warning"


def test_sorted_fault_fires_and_healthy_order_is_silent(bundle):
    b = bundle("digits", sort_by_label=True)
    (f,) = check_unshuffled(b.y_train)
    assert f.evidence["changes"] == 9
    assert "unless the loop reshuffles" in f.message
    assert check_unshuffled(bundle("digits").y_train) == []
    assert check_unshuffled(bundle("mnist1d").y_train) == []


def test_random_orders_never_fire():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 60)
    alarms = sum(bool(check_unshuffled(rng.permutation(y))) for _ in range(200))
    imbalanced = np.array([0] * 190 + [1] * 10)
    alarms += sum(bool(check_unshuffled(rng.permutation(imbalanced))) for _ in range(200))
    assert alarms == 0


def test_grouped_blocks_fire_and_shuffle_flag_decides():
    y = np.tile(np.repeat(np.arange(4), 25), 4)  # blocks of 25 of one class
    assert check_unshuffled(y)
    assert check_unshuffled(y, shuffle=True) == []
    (f,) = check_unshuffled(y, shuffle=False)
    assert "unless" not in f.message


def test_regression_targets_sorted_fire(bundle):
    b = bundle("regression", sort_by_label=True)
    (f,) = check_unshuffled(b.y_train, task="regression")
    assert f.evidence["rank_autocorrelation"] > 0.99
    assert check_unshuffled(bundle("regression").y_train, task="regression") == []


def test_too_few_samples_or_one_class_are_silent():
    assert check_unshuffled(np.repeat([0, 1], 10)) == []
    assert check_unshuffled(np.zeros(100, dtype=int)) == []
