"""Robust statistics of short per-epoch curves: jitter, trend, causal smoothing.

Epoch curves are short (tens of points) and noisy (a 100-sample validation set moves its loss
by 10% from one epoch to the next), so every rule reads them through these median-based
estimators rather than means and single points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats


def jitter(values: Sequence[float]) -> float:
    """The epoch-to-epoch noise of a curve: a robust standard deviation of its wiggles.

    It is the normal-scaled median absolute deviation of the first differences, over
    ``sqrt(2)`` (a difference of two independent draws has twice the variance). A steady trend
    has near-constant differences and so near-zero jitter; a noisy plateau has jitter equal to
    its noise. Returns 0.0 for fewer than 3 values.

    Example::

        >>> jitter([1.0, 2.0, 3.0, 4.0])
        0.0
    """
    v = np.asarray(values, dtype=float)
    if v.size < 3:
        return 0.0
    d = np.diff(v)
    return float(stats.median_abs_deviation(d, scale="normal") / math.sqrt(2.0))


def slope(values: Sequence[float]) -> float:
    """Per-epoch slope of a curve by Theil-Sen (median of pairwise slopes; scipy).

    One outlying epoch cannot tip it, unlike a least-squares fit. Returns 0.0 for fewer than
    2 values.

    Example::

        >>> round(slope([3.0, 2.0, 9.0, 0.0]), 3)
        -1.0
    """
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        return 0.0
    return float(stats.theilslopes(v, np.arange(v.size, dtype=float))[0])


def causal_median3(values: Sequence[float]) -> np.ndarray:
    """Running median of each value with the two before it (only the past: usable live).

    A single lucky or unlucky epoch disappears, a change that lasts two epochs stays.

    Example::

        >>> causal_median3([1.0, 9.0, 2.0, 3.0]).tolist()
        [1.0, 5.0, 2.0, 3.0]
    """
    v = np.asarray(values, dtype=float)
    out = v.copy()
    if v.size >= 2:
        out[1] = 0.5 * (v[0] + v[1])
    if v.size >= 3:
        out[2:] = np.median(np.lib.stride_tricks.sliding_window_view(v, 3), axis=1)
    return out
