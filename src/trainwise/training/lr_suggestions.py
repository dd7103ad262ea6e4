"""The math of the LR finder: smoothing the loss curve and reading learning rates off it.

Pure NumPy on plain sequences, so every rule can be tested on curves whose answer is known in
closed form. :mod:`trainwise.training.lr_finder` runs the sweep and calls these.

The three rules look at the same smoothed curve (loss against log10 LR) from different angles:

- ``steepest``: where the loss falls fastest per decade of LR (the classic range-test pick);
- ``valley``: a point two thirds of the way down the curve's descending stretch, from where it
  leaves its starting level to its minimum (the idea of fastai's "valley", written here from
  the idea, not from their code);
- ``min_div_10``: the LR at the lowest loss divided by 10 (the minimum itself sits next to
  divergence, one decade lower is the usual safe margin).

When they agree within about half a decade the curve is clean and any of them works; when they
disagree by more than a decade the curve is noisy or has two drops, and the message says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: The rules, in the order they are reported.
RULES = ("steepest", "valley", "min_div_10")

#: Where along the descending stretch the valley rule picks its LR (0 = its start).
VALLEY_FRACTION = 2 / 3


def smooth_losses(losses: Sequence[float], smooth: float = 0.05) -> np.ndarray:
    """Exponential moving average of ``losses`` with bias correction.

    ``avg_i = (1 - smooth) * avg_{i-1} + smooth * loss_i`` from ``avg_{-1} = 0``, reported as
    ``avg_i / (1 - (1 - smooth) ** (i + 1))`` so the first points are not pulled towards 0
    (Adam's correction). ``smooth=1`` returns the losses unchanged; smaller is smoother
    (default 0.05: about the last 20 steps count).

    Example::

        >>> smooth_losses([2.0, 2.0, 2.0], 0.1).tolist()
        [2.0, 2.0, 2.0]
    """
    x = np.asarray(losses, dtype=np.float64)
    beta = 1.0 - float(smooth)
    out = np.empty_like(x)
    avg = 0.0
    # A plain loop rather than scipy.signal.lfilter: a few hundred points, and the bias
    # correction, which lfilter does not do, stays visible.
    for i, value in enumerate(x):
        avg = beta * avg + (1.0 - beta) * value
        out[i] = avg / (1.0 - beta ** (i + 1))
    return out


def _minimum(smoothed: np.ndarray) -> int:
    """Index of the lowest finite smoothed loss (-1 if none): the rules look only up to it."""
    finite = np.isfinite(smoothed)
    if not finite.any():
        return -1
    return int(np.nanargmin(np.where(finite, smoothed, np.nan)))


def _noise_shrink(n: int, smooth: float) -> float:
    """How much the bias-corrected average of ``n`` losses shrinks their noise:
    ``sqrt(sum(w**2))`` of its normalised weights (1 for n = 1, ``sqrt(smooth / (2 - smooth))``
    for large n)."""
    beta = 1.0 - smooth
    if beta == 0:
        return 1.0
    return math.sqrt((1 - beta ** (2 * n)) / (1 - beta**2)) * (1 - beta) / (1 - beta**n)


def descent_stretch(
    losses: Sequence[float], smoothed: Sequence[float], smooth: float = 0.05, head: float = 0.1
) -> tuple[int, int] | None:
    """``(start, end)`` indices of the curve's descent, or ``None`` if there is none.

    The plateau is the first ``head`` share of the sweep (at least 5 steps): the median of its
    raw batch losses is the starting level, their standard deviation the batch noise. The
    descent ends at the smoothed minimum and starts at the last point before it that is still
    within a band of the starting level: three times the batch noise left after smoothing,
    or 5% of the whole drop if that is wider (a noise-free curve creeps down from the first
    step, and that creep is not the descent).

    ``None`` when the minimum is not clearly below the start: by less than three times the
    noise the average has at that point (it has averaged only a few losses at the first
    steps), or by less than 0.1% of the starting level. Without this check the rules would
    still return an LR when the model never learned during the sweep (a plateau, then
    divergence): the minimum is then a noise dip at a tiny LR, and the rules even agree on it.

    Example::

        >>> descent_stretch([5.0] * 5 + [4.0, 3.0, 2.0, 9.0], [5.0] * 5 + [4.0, 3.0, 2.0, 9.0])
        (4, 7)
    """
    raw = np.asarray(losses, dtype=np.float64)
    s = np.asarray(smoothed, dtype=np.float64)
    first = raw[: max(5, int(head * len(raw)))]
    first = first[np.isfinite(first)]
    end = _minimum(s)
    if first.size < 2 or end < 1:
        return None
    level, noise = float(np.median(first)), float(np.std(first))
    drop = level - float(s[end])
    if drop <= 3 * noise * _noise_shrink(end + 1, smooth) or drop <= 1e-3 * abs(level):
        return None
    band = max(3 * noise * _noise_shrink(len(s), smooth), 0.05 * drop)
    above = np.nonzero(s[:end] >= level - band)[0]
    start = int(above[-1]) if above.size else 0
    return start, end


def steepest(
    lrs: Sequence[float],
    smoothed: Sequence[float],
    stretch: tuple[int, int] | None,
    skip: int = 0,
) -> float | None:
    """The LR where the smoothed loss falls fastest against log10(LR) within the descent.

    The slope is ``np.gradient(smoothed, log10(lrs))`` (central differences); candidates are
    the points of ``stretch`` (from :func:`descent_stretch`), so batch noise on the plateau
    cannot win, except the first ``skip`` points of the sweep (default 0), where the moving
    average has seen only a few losses (at most a quarter of the stretch is skipped). ``None``
    without a stretch or a negative slope.

    Example::

        >>> lrs = np.logspace(-4, 0, 41)
        >>> loss = 2 - np.tanh(2 * (np.log10(lrs) + 2))
        >>> round(math.log10(steepest(lrs, loss, (0, 40))), 1)
        -2.0
    """
    if stretch is None:
        return None
    lr = np.asarray(lrs, dtype=np.float64)
    s = np.asarray(smoothed, dtype=np.float64)
    start, end = stretch
    slope = np.gradient(s[: end + 1], np.log10(lr[: end + 1]))
    first = max(start, min(int(skip), start + (end - start + 1) // 4))
    i = first + int(np.argmin(slope[first : end + 1]))
    return float(lr[i]) if slope[i] < 0 else None


def valley(lrs: Sequence[float], stretch: tuple[int, int] | None) -> float | None:
    """The LR two thirds of the way (in log LR) down the descent ``stretch``.

    Example::

        >>> round(valley(np.logspace(-4, 0, 5), (1, 4)), 6)
        0.1
    """
    if stretch is None:
        return None
    start, end = stretch
    logs = np.log10(np.asarray(lrs, dtype=np.float64))
    return float(10 ** (logs[start] + VALLEY_FRACTION * (logs[end] - logs[start])))


def min_div_10(lrs: Sequence[float], smoothed: Sequence[float]) -> float | None:
    """The LR at the lowest smoothed loss divided by 10 (``None`` if that is the first point).

    Example::

        >>> min_div_10([0.01, 0.1, 1.0], [3.0, 1.0, 2.0])
        0.01
    """
    end = _minimum(np.asarray(smoothed, dtype=np.float64))
    return None if end < 1 else float(np.asarray(lrs, dtype=np.float64)[end] / 10)


def suggest(
    lrs: Sequence[float],
    losses: Sequence[float],
    smoothed: Sequence[float],
    smooth: float = 0.05,
    skip: int = 0,
) -> dict[str, float | None]:
    """All rules: ``{"steepest": ..., "valley": ..., "min_div_10": ...}``, all ``None`` when
    :func:`descent_stretch` finds no descent; ``skip`` goes to :func:`steepest`.

    Example::

        >>> lrs = np.logspace(-4, 0, 9)
        >>> loss = [5.0, 5.0, 5.0, 5.0, 5.0, 4.0, 3.0, 2.0, 9.0]
        >>> {k: round(v, 4) for k, v in suggest(lrs, loss, loss, smooth=1.0).items()}
        {'steepest': 0.0316, 'valley': 0.1, 'min_div_10': 0.0316}
    """
    stretch = descent_stretch(losses, smoothed, smooth)
    if stretch is None:
        return dict.fromkeys(RULES)
    return {
        "steepest": steepest(lrs, smoothed, stretch, skip),
        "valley": valley(lrs, stretch),
        "min_div_10": min_div_10(lrs, smoothed),
    }


def agreement(suggestions: dict[str, float | None]) -> float | None:
    """How far the suggestions spread, in decades: ``log10(max / min)`` (0 = identical).

    ``None`` with fewer than two suggestions.

    Example::

        >>> agreement({"steepest": 1e-3, "valley": 1e-2, "min_div_10": None})
        1.0
    """
    values = [v for v in suggestions.values() if v is not None and v > 0]
    if len(values) < 2:
        return None
    return round(math.log10(max(values) / min(values)), 6)


def pick(suggestions: dict[str, float | None]) -> float | None:
    """The LR to use: the median of the suggestions (geometric mean of two if only two).

    The median ignores one rule that went astray on an odd curve, which a single rule cannot.

    Example::

        >>> pick({"steepest": 1e-3, "valley": 3e-3, "min_div_10": 1.0})
        0.003
    """
    values = sorted(v for v in suggestions.values() if v is not None and v > 0)
    if not values:
        return None
    mid = len(values) // 2
    if len(values) % 2:
        return values[mid]
    return float(math.sqrt(values[mid - 1] * values[mid]))


def describe(suggestions: dict[str, float | None], spread: float | None) -> str:
    """One or two plain sentences about the suggestions and how far they agree.

    Example::

        >>> describe({"steepest": 1e-3, "valley": 2e-3, "min_div_10": 1.5e-3}, 0.301)
        'suggested LR 0.0015 (steepest 0.001, valley 0.002, min/10 0.0015); the rules agree within 0.30 decades.'
    """
    chosen = pick(suggestions)
    if chosen is None:
        return (
            "no suggestion: the loss never fell clearly below its starting level during the "
            "sweep (any dip is within the batch noise); raise num_steps or end_lr, use a larger "
            "batch, or check that the model can learn at all."
        )
    names = {"steepest": "steepest", "valley": "valley", "min_div_10": "min/10"}
    parts = ", ".join(
        f"{names[k]} {v:.3g}" if v is not None else f"{names[k]} none"
        for k, v in suggestions.items()
    )
    text = f"suggested LR {chosen:.3g} ({parts})"
    if spread is None:
        return text + "; only one rule found a descent, so the curve is probably too short."
    if spread <= 0.5:
        return text + f"; the rules agree within {spread:.2f} decades."
    if spread <= 1.0:
        return text + f"; the rules roughly agree ({spread:.2f} decades apart)."
    return text + (
        f"; the rules disagree by {spread:.2f} decades: the curve is noisy or has several "
        "drops; look at the plot, or rerun with more steps or a larger batch."
    )


#: How many decades below the LR where the loss began to rise a retry starts.
RETRY_DECADES_BELOW_RISE = 3

#: How many times the steps of the sweep a retry takes, so each LR gets more steps.
RETRY_STEPS_FACTOR = 3


def why_no_suggestion(
    lrs: Sequence[float],
    losses: Sequence[float],
    smoothed: Sequence[float],
    settings: dict,
    stopped: bool,
    smooth: float = 0.05,
) -> tuple[str, dict[str, float | int]]:
    """Why a sweep gave no suggestion, in one or two sentences, and the sweep to run instead:
    ``(reason, retry)`` with ``retry`` a dict of :func:`~trainwise.training.lr_finder.lr_find`
    arguments (``start_lr``, ``end_lr``, ``num_steps``; empty when no other sweep would help).

    ``settings`` holds the sweep's ``start_lr``, ``end_lr`` and ``num_steps``; ``stopped`` is
    True when the loss blew up before the last step; ``smooth`` is the sweep's (default 0.05).
    The cases:

    - the first loss is not finite: the data or model, not the LR (no retry);
    - the loss stayed at its starting level, then rose (the usual case of a model that learns
      slowly, e.g. the MLP of ``examples/circles.yaml``): each LR got too few steps for it to
      start learning before the LR was too high. Retry from ``RETRY_DECADES_BELOW_RISE``
      decades below where the loss began to rise, rounded down to a power of ten, with
      ``RETRY_STEPS_FACTOR`` times the steps, so each decade gets far more of them;
    - the loss neither fell nor rose up to ``end_lr``: a higher ``end_lr`` when it was below 1,
      else more steps (and a hint that the model may not learn at all).

    Example::

        >>> lrs = np.logspace(-7, 0, 80).tolist()
        >>> flat_then_up = [0.69] * 70 + [0.69 * 1.5**i for i in range(1, 11)]
        >>> why_no_suggestion(lrs, flat_then_up, smooth_losses(flat_then_up),
        ...                   {"start_lr": 1e-7, "end_lr": 10.0, "num_steps": 100}, True)[1]
        {'start_lr': 0.0001, 'num_steps': 300}
    """
    start, end, steps = settings["start_lr"], settings["end_lr"], settings["num_steps"]
    more = {"num_steps": int(RETRY_STEPS_FACTOR * steps)}
    raw = np.asarray(losses, dtype=np.float64)
    if raw.size == 0 or not math.isfinite(raw[0]):
        first = raw[0] if raw.size else float("nan")
        return (
            f"the loss was {first} at the first step (LR {start:.3g}), before the LR could "
            "matter: the data or the model gives non-finite values (trainwise doctor CONFIG "
            "names the cause)",
            {},
        )
    s = np.asarray(smoothed, dtype=np.float64)
    head = raw[: max(5, int(0.1 * raw.size))]
    head = head[np.isfinite(head)]
    level = float(np.median(head))
    # "near the starting level": the band descent_stretch uses (3x the smoothed batch noise),
    # at least 1% of the level, so a noise-free plateau still has a width
    band = max(3 * float(np.std(head)) * _noise_shrink(s.size, smooth), 0.01 * abs(level))
    calm = np.nonzero(np.isfinite(s) & (s <= level + band))[0]
    if stopped:
        rise = float(lrs[int(calm[-1])]) if calm.size else float(start)
        new_start = 10.0 ** (math.floor(math.log10(rise)) - RETRY_DECADES_BELOW_RISE)
        per_decade = steps / max(math.log10(end / start), 1e-9)
        return (
            f"the loss stayed near its starting level ({level:.4g}) up to LR {rise:.3g}, then "
            f"rose until the sweep stopped: with {steps} steps over "
            f"{math.log10(end / start):.1f} decades each decade of LR got about "
            f"{per_decade:.0f} steps, too few for this model to start learning before the LR "
            f"was too high",
            {"start_lr": new_start, **more},
        )
    if end < 1:
        return (
            f"the loss neither fell nor rose over the whole sweep (up to LR {end:.3g}): the "
            "LR never got high enough to matter",
            {"end_lr": 10.0, **more},
        )
    return (
        f"the loss neither fell nor rose over the whole sweep, up to LR {end:.3g}: the model "
        "does not learn at any LR in these steps; check that its parameters train (trainwise "
        "doctor CONFIG)",
        more,
    )


def retry_text(retry: dict[str, float | int]) -> str:
    """The retry as ``lr_find`` arguments, e.g. ``start_lr=1e-05, num_steps=300``.

    >>> retry_text({"start_lr": 1e-05, "num_steps": 300})
    'start_lr=1e-05, num_steps=300'
    """
    return ", ".join(
        f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in retry.items()
    )
