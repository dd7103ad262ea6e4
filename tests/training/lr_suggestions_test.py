import math

import numpy as np
import pytest

from trainwise.training.lr_suggestions import (
    _noise_shrink,
    agreement,
    descent_stretch,
    describe,
    min_div_10,
    pick,
    retry_text,
    smooth_losses,
    steepest,
    suggest,
    valley,
    why_no_suggestion,
)


def test_smoothing_is_a_bias_corrected_ema():
    a, b, s = 2.0, 5.0, 0.1
    out = smooth_losses([a, b, b], s)
    assert out[0] == pytest.approx(a)  # bias correction: no pull towards 0
    # closed form of the second point: (s(1-s) a + s b) / (1 - (1-s)^2)
    assert out[1] == pytest.approx((s * (1 - s) * a + s * b) / (1 - (1 - s) ** 2))
    assert smooth_losses([3.0] * 50, 0.05) == pytest.approx([3.0] * 50)
    assert smooth_losses([1.0, 4.0, 2.0], 1.0).tolist() == [1.0, 4.0, 2.0]


def test_noise_shrink_matches_the_weights():
    s = 0.05
    for n in (1, 2, 10, 400):
        w = (1 - s) ** np.arange(n)[::-1]
        w = w / w.sum()
        assert _noise_shrink(n, s) == pytest.approx(math.sqrt((w**2).sum()))
    assert _noise_shrink(10_000, s) == pytest.approx(math.sqrt(s / (2 - s)))
    assert _noise_shrink(7, 1.0) == 1.0


def _tanh_curve(centre=-2.0, n=81):
    """Plateau at 2, a drop centred on log10(lr) = centre, then a blow-up after the minimum."""
    lrs = np.logspace(-6, 2, n)
    x = np.log10(lrs)
    loss = 2 - np.tanh(2 * (x - centre))
    loss[x > 0.5] += 50 * (x[x > 0.5] - 0.5) ** 2
    return lrs, loss


def test_rules_on_a_curve_with_known_answers():
    lrs, loss = _tanh_curve()
    stretch = descent_stretch(loss, loss, smooth=1.0)
    assert stretch is not None
    start, end = stretch
    # The minimum of 2 - tanh + the blow-up is at log10 lr = 0.5 (index 65 of 81).
    assert math.log10(lrs[end]) == pytest.approx(0.5)
    # Noise-free: the descent starts at the last point within 5% of the whole drop of the start.
    drop = loss[0] - loss[end]
    assert loss[start] >= loss[0] - 0.05 * drop > loss[start + 1]
    # steepest slope of -tanh(2 (x + 2)) is at its centre, x = -2
    assert math.log10(steepest(lrs, loss, stretch)) == pytest.approx(-2.0)
    expected_valley = 10 ** (
        math.log10(lrs[start]) + 2 / 3 * (math.log10(lrs[end]) - math.log10(lrs[start]))
    )
    assert valley(lrs, stretch) == pytest.approx(expected_valley)
    assert min_div_10(lrs, loss) == pytest.approx(10**0.5 / 10)
    s = suggest(lrs, loss, loss, smooth=1.0)
    assert list(s) == ["steepest", "valley", "min_div_10"]
    assert s["valley"] == pytest.approx(expected_valley)


def test_steepest_ignores_the_plateau_and_the_first_points():
    lrs, loss = _tanh_curve()
    loss = loss.copy()
    loss[3] -= 0.3  # a noise dip on the plateau, steeper than the real descent
    stretch = descent_stretch(loss, loss, smooth=1.0)
    assert stretch[0] > 3
    assert math.log10(steepest(lrs, loss, stretch)) == pytest.approx(-2.0)
    # skip: candidates start later (at most a quarter into the stretch)
    a, b = stretch
    got = steepest(lrs, loss, stretch, skip=10_000)
    assert got >= lrs[a + (b - a + 1) // 4]


def test_no_descent_gives_no_suggestion():
    rng = np.random.default_rng(0)
    lrs = np.logspace(-7, 1, 100)
    raw = 0.69 + 0.02 * rng.standard_normal(100)  # a plateau of batch noise ...
    raw[-5:] = [1.0, 2.0, 4.0, 8.0, 16.0]  # ... that then diverges
    smoothed = smooth_losses(raw, 0.05)
    assert descent_stretch(raw, smoothed, 0.05) is None
    assert suggest(lrs, raw, smoothed, 0.05) == dict.fromkeys(["steepest", "valley", "min_div_10"])
    # rising from the first point: the minimum is the first point
    assert descent_stretch([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [1.0, 2, 3, 4, 5, 6]) is None
    assert min_div_10([1e-3, 1e-2], [1.0, 2.0]) is None


def test_a_real_drop_through_the_noise_is_found():
    rng = np.random.default_rng(1)
    lrs = np.logspace(-7, 1, 100)
    x = np.log10(lrs)
    raw = 0.7 - 0.3 * (1 + np.tanh(3 * (x + 2))) / 2 + 0.02 * rng.standard_normal(100)
    smoothed = smooth_losses(raw, 0.05)
    s = suggest(lrs, raw, smoothed, 0.05, skip=10)
    assert all(v is not None for v in s.values())
    # all rules land on or after the drop's start, never on the noisy plateau
    assert all(v > 1e-4 for v in s.values())


def test_agreement_pick_and_message():
    s = {"steepest": 1e-3, "valley": 1e-2, "min_div_10": 1e-1}
    assert agreement(s) == pytest.approx(2.0)
    assert pick(s) == 1e-2
    assert pick({"steepest": 1e-3, "valley": 1e-1, "min_div_10": None}) == pytest.approx(1e-2)
    assert pick(dict.fromkeys(s)) is None
    assert agreement({"steepest": 1e-3, "valley": None, "min_div_10": None}) is None
    assert "disagree by 2.00 decades" in describe(s, agreement(s))
    close = {"steepest": 1e-3, "valley": 2e-3, "min_div_10": 1.5e-3}
    assert "agree within 0.30 decades" in describe(close, agreement(close))
    assert describe(dict.fromkeys(s), None).startswith("no suggestion")


SWEEP = {"start_lr": 1e-7, "end_lr": 10.0, "num_steps": 100}


def _plateau_then_rise(rise_at: int, n: int = 94, seed: int = 0):
    """A sweep that never learned: batch noise on 0.69 up to step ``rise_at``, then a blow-up."""
    rng = np.random.default_rng(seed)
    lrs = np.logspace(-7, 1, 100)[:n]
    raw = 0.69 + 0.01 * rng.standard_normal(n)
    raw[rise_at:] *= 1.25 ** np.arange(1, n - rise_at + 1)
    return lrs, raw, smooth_losses(raw, 0.05)


@pytest.mark.parametrize("rise_at", [40, 60, 80])
def test_a_plateau_then_divergence_asks_for_more_steps_from_below_the_rise(rise_at):
    lrs, raw, smoothed = _plateau_then_rise(rise_at)
    why, retry = why_no_suggestion(lrs, raw, smoothed, SWEEP, stopped=True)
    assert retry["num_steps"] == 300 and set(retry) == {"start_lr", "num_steps"}
    # the loss left the plateau at lrs[rise_at] (the average lags a few steps): the retry
    # starts 3 decades below, at a power of ten
    rise = lrs[rise_at]
    assert rise / 1e4 < retry["start_lr"] <= rise / 1e3 * 10
    assert math.log10(retry["start_lr"]) == round(math.log10(retry["start_lr"]))
    assert "stayed near its starting level (0.69" in why and "steps" in why


def test_a_flat_sweep_asks_for_a_higher_end_or_more_steps():
    rng = np.random.default_rng(2)
    raw = 0.69 + 0.01 * rng.standard_normal(100)
    lrs = np.logspace(-7, -2, 100)
    low_end = {**SWEEP, "end_lr": 1e-2}
    why, retry = why_no_suggestion(lrs, raw, smooth_losses(raw), low_end, stopped=False)
    assert retry == {"end_lr": 10.0, "num_steps": 300} and "never got high enough" in why
    why, retry = why_no_suggestion(lrs, raw, smooth_losses(raw), SWEEP, stopped=False)
    assert retry == {"num_steps": 300} and "does not learn" in why


def test_a_non_finite_first_loss_is_not_the_lr():
    why, retry = why_no_suggestion([1e-7], [math.nan], [math.nan], SWEEP, stopped=True)
    assert retry == {} and "first step" in why and "trainwise doctor" in why
    assert retry_text({"start_lr": 1e-05, "num_steps": 300}) == "start_lr=1e-05, num_steps=300"
