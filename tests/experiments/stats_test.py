import math

import pytest
from scipy import stats

from trainwise.experiments.stats import mean_std, paired_diff, summarize


def test_summary_of_1_2_3_matches_the_closed_form():
    s = summarize([1.0, 2.0, 3.0])
    assert s["mean"] == 2.0 and s["std"] == 1.0 and s["n"] == 3
    # t(0.975, 2) = 4.303; half-width 4.303 * 1 / sqrt(3) = 2.484
    assert s["ci95"] == pytest.approx([-0.484, 4.484], abs=1e-3)
    assert s["ci95"][1] - 2.0 == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)


def test_small_samples_give_none_not_nan():
    assert summarize([]) == {"mean": None, "std": None, "n": 0, "ci95": None}
    assert summarize([0.5]) == {"mean": 0.5, "std": None, "n": 1, "ci95": None}
    assert summarize([None, 0.5, float("nan")]) == summarize([0.5])
    assert summarize([2.0, 2.0, 2.0])["ci95"] == [2.0, 2.0]


def test_paired_diff_is_the_summary_of_differences_with_ttest_rel_p():
    a = {0: 0.91, 1: 0.93, 2: 0.92, 3: 0.95}
    b = {0: 0.90, 1: 0.91, 2: 0.91, 3: 0.92}
    d = paired_diff(a, b)
    assert d["mean"] == pytest.approx(0.0175)
    assert d["n"] == 4
    # differences 0.01, 0.02, 0.01, 0.03: std = sqrt(((-.0075)^2*2 + .0025^2 + .0125^2) / 3)
    assert d["std"] == pytest.approx(math.sqrt((2 * 0.0075**2 + 0.0025**2 + 0.0125**2) / 3))
    keys = sorted(a)
    p = stats.ttest_rel([a[k] for k in keys], [b[k] for k in keys]).pvalue
    assert d["p"] == pytest.approx(p)
    assert 0 < d["p"] < 0.05


def test_pairing_uses_keys_present_on_both_sides():
    d = paired_diff({0: 2.0, 1: 5.0, 2: None}, {0: 1.0, 1: 1.0, 2: 7.0, 3: 0.0})
    assert d["n"] == 2 and d["mean"] == 2.5  # pairs 0 and 1 only: diffs 1 and 4


def test_degenerate_pairs_have_no_p_value():
    assert paired_diff({0: 1.0}, {0: 0.5})["p"] is None  # n = 1
    same = paired_diff({0: 0.3, 1: 0.6}, {0: 0.2, 1: 0.5})  # every difference 0.1
    assert same["p"] is None and same["mean"] == pytest.approx(0.1)
    assert paired_diff({}, {}) == {"mean": None, "std": None, "n": 0, "ci95": None, "p": None}


def test_mean_std_skips_non_numbers():
    mean, std = mean_std([{"fold": 1, "a": 1.0, "s": "x"}, {"fold": 2, "a": 3.0, "s": "y"}])
    assert mean == {"a": 2.0} and std["a"] == pytest.approx(2**0.5)


def test_mean_std_agrees_with_summarize_and_keeps_a_diverged_fold_visible():
    rows = [{"fold": i + 1, "a": v, "flag": True} for i, v in enumerate([0.7, 0.9, 0.8])]
    mean, std = mean_std(rows)
    s = summarize([0.7, 0.9, 0.8])
    assert (mean["a"], std["a"]) == (s["mean"], s["std"]) and "flag" not in mean
    mean, _ = mean_std([{"a": 1.0}, {"a": float("nan")}])
    assert math.isnan(mean["a"])  # summarize would drop it; a fold table must show it
    assert mean_std([{"a": 2.0}])[1] == {"a": 0.0}
