"""The statistics of repeated trials, in one place: mean, sample std and 95% t-interval over
trials, the difference from a baseline paired by seed (or fold) with a paired t-test (for
``trainwise compare``, whose compare.json the printed table, compare.md and report.html all
read), and per-metric mean ± std over folds (for ``tw.cross_validate`` and ``run --folds``).

A handful of seeds is a small sample, so the interval uses Student's t (``scipy.stats.t``),
not the normal 1.96: with 3 seeds the half-width is 4.30 standard errors. Pairing by seed
removes the part of the noise both variants share (same initial data order and split), which
often makes a small difference visible that unpaired intervals hide. Values that cannot be
computed (n < 2, zero spread for a p-value) are None, never NaN, so JSON stays valid.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats


def _num(x: Any) -> float | None:
    """A finite float, or None (NaN and inf are not valid JSON)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def summarize(values: Iterable[float | None]) -> dict[str, Any]:
    """``{"mean", "std", "n", "ci95"}`` of the values that are not None.

    ``std`` is the sample std (ddof=1; None for n < 2), ``ci95`` the 95% t-interval of the
    mean (None for n < 2; a point when all values are equal).

    Example::

        >>> s = summarize([1.0, 2.0, 3.0])
        >>> s["mean"], s["std"], s["n"], [round(x, 3) for x in s["ci95"]]
        (2.0, 1.0, 3, [-0.484, 4.484])
    """
    x = np.array([float(v) for v in values if _num(v) is not None])
    n = int(x.size)
    if n == 0:
        return {"mean": None, "std": None, "n": 0, "ci95": None}
    mean = float(x.mean())
    if n < 2:
        return {"mean": mean, "std": None, "n": n, "ci95": None}
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "n": n, "ci95": [mean - half, mean + half]}


def paired_diff(
    variant: Mapping[Hashable, float | None], baseline: Mapping[Hashable, float | None]
) -> dict[str, Any]:
    """Variant minus baseline, paired by key (seed or fold): :func:`summarize` of the
    differences plus ``p``, the two-sided paired t-test p-value (``scipy.stats.ttest_rel``;
    None for n < 2 or when every difference is the same, where the test is undefined).

    Only keys with a value on both sides count (a failed trial drops its pair).

    Example::

        >>> d = paired_diff({0: 0.91, 1: 0.93, 2: 0.92}, {0: 0.90, 1: 0.91, 2: 0.91})
        >>> round(d["mean"], 4), d["n"], round(d["p"], 3)
        (0.0133, 3, 0.057)
    """
    keys = [
        k for k in variant if _num(variant[k]) is not None and _num(baseline.get(k)) is not None
    ]
    a = np.array([float(variant[k]) for k in keys])
    b = np.array([float(baseline[k]) for k in keys])
    out = summarize(a - b)
    p = None
    # Equal differences (up to rounding) make t infinite or 0/0: no p-value, and no warning.
    if out["std"] is not None and out["std"] > 1e-12 * max(1.0, abs(out["mean"])):
        p = _num(stats.ttest_rel(a, b).pvalue)
    out["p"] = p
    return out


def mean_std(rows: Sequence[dict[str, Any]]) -> tuple[dict[str, float], dict[str, float]]:
    """Mean and sample standard deviation (ddof=1, as in :func:`summarize`; 0.0 for one row)
    of every numeric key the rows share, except ``fold`` and booleans. Unlike
    :func:`summarize`, a NaN (a diverged fold) is kept, so it shows in the mean.

    Example::

        >>> mean_std([{"acc": 0.8}, {"acc": 0.9}])[0]["acc"]
        0.85
    """
    keys = [k for k in rows[0] if all(isinstance(r.get(k), (int, float)) for r in rows)]
    keys = [k for k in keys if k != "fold" and not isinstance(rows[0][k], bool)]
    mean, std = {}, {}
    for k in keys:
        values = np.array([float(r[k]) for r in rows])
        mean[k] = float(values.mean())
        std[k] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return mean, std
