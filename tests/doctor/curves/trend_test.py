import math

import numpy as np
import pytest

from trainwise.doctor.curves.trend import causal_median3, jitter, slope


def test_jitter_of_a_steady_trend_is_zero():
    assert jitter(np.linspace(3.0, 1.0, 20)) == pytest.approx(0.0, abs=1e-12)


def test_jitter_recovers_the_noise_of_a_noisy_plateau():
    rng = np.random.default_rng(0)
    values = 1.0 + 0.05 * rng.standard_normal(4000)
    assert jitter(values) == pytest.approx(0.05, rel=0.08)


def test_jitter_ignores_the_trend_under_the_noise():
    rng = np.random.default_rng(1)
    values = np.linspace(0.0, 10.0, 4000) + 0.05 * rng.standard_normal(4000)
    assert jitter(values) == pytest.approx(0.05, rel=0.08)


def test_jitter_needs_three_values():
    assert jitter([1.0, 5.0]) == 0.0


def test_slope_is_exact_on_a_line_and_robust_to_one_outlier():
    assert slope([5.0, 4.5, 4.0, 3.5]) == pytest.approx(-0.5)
    assert slope([5.0, 4.5, 40.0, 3.5, 3.0]) == pytest.approx(-0.5)
    assert slope([1.0]) == 0.0


def test_causal_median3_uses_only_the_past():
    assert causal_median3([4.0, 0.0, 2.0, 8.0, 6.0]).tolist() == [4.0, 2.0, 2.0, 2.0, 6.0]
    # a change in the future never moves an earlier value
    a = causal_median3([1.0, 2.0, 3.0, 100.0])
    assert a[:3].tolist() == causal_median3([1.0, 2.0, 3.0]).tolist()
    assert not any(math.isnan(x) for x in a)


def test_causal_median3_matches_the_definition_on_random_curves():
    rng = np.random.default_rng(3)
    for n in range(0, 12):
        v = rng.standard_normal(n)
        naive = [float(np.median(v[max(0, i - 2) : i + 1])) for i in range(n)]
        assert causal_median3(v).tolist() == pytest.approx(naive)
