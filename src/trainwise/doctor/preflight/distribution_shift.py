"""``distribution_shift``: validation or test inputs drawn from a different distribution.

Two-sample tests per feature (each column, signal position or pixel): Welch's t-test for a
shift of the mean and the Kolmogorov-Smirnov test for any change of shape (scipy, vectorized
over features), Bonferroni-corrected over all tests at a family-wise level of :data:`ALPHA`.
A feature counts as shifted only when the test is significant *and* the change is material:
a mean moved by at least :data:`MEAN_SHIFT` training standard deviations, or a KS statistic
of at least :data:`KS_STATISTIC`.

With class labels for both splits, the training samples are first sub-sampled to the other
split's class proportions (and both restricted to the classes they share): a training split
made imbalanced on purpose, or a validation split with other class shares, changes the
inputs' distribution through the labels alone, which ``class_imbalance`` reports; this check
is about the inputs given the class. At most 5000 samples per split and 256 features (a
seeded choice) are tested.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.preflight.arrays import (
    as_array,
    class_labels,
    finite_rows,
    fmt,
    rows,
    sample_indices,
)
from trainwise.doctor.preflight.unnormalized_inputs import feature_stats

#: family-wise false-alarm level over all features and both tests: clean re-splits must stay
#: silent however many features the data has
ALPHA = 1e-3
#: a mean moved by a quarter of a training std is material; less, on thousands of samples,
#: is significant yet harmless
MEAN_SHIFT = 0.25
#: the same floor for a change of shape (KS statistic: largest gap of the two CDFs)
KS_STATISTIC = 0.15
#: fewer samples on either side give the tests no power: the check abstains
MIN_OTHER = 8


def ks_two_sample(
    a: np.ndarray, b: np.ndarray, min_statistic: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided two-sample Kolmogorov-Smirnov test of every column of ``a`` against the same
    column of ``b``: ``(statistics, p-values)``, the asymptotic p-value (Smirnov's
    distribution). Needs finite values.

    What ``scipy.stats.ks_2samp(a, b, axis=0, method="asymp")`` returns, value for value (the
    same counts over the same divisions), in one sort for all columns. ``min_statistic``
    (default 0: every p-value): p-values are computed only for statistics at least this large
    and for the largest one (the smallest p-value); the others are reported as 1. Smirnov's
    distribution costs about half a millisecond per value, most of a 40-feature test.

    Example::

        >>> rng = np.random.default_rng(0)
        >>> d, p = ks_two_sample(rng.normal(size=(200, 2)), rng.normal(size=(100, 2)) + [0, 1])
        >>> (p < 1e-3).tolist()
        [False, True]
    """
    from scipy import stats

    n1, n2 = len(a), len(b)
    both = np.concatenate([a, b], axis=0).T  # one row per feature: contiguous sorts
    order = np.argsort(both, axis=1)  # the order within runs of equal values does not matter
    values = np.take_along_axis(both, order, axis=1)
    # at the last of each run of equal values: how many of a and of b are <= that value
    in_a = np.cumsum(order < n1, axis=1)
    in_b = np.arange(1, n1 + n2 + 1)[None, :] - in_a
    diff = in_a / n1 - in_b / n2
    last = np.ones(values.shape, dtype=bool)
    last[:, :-1] = values[:, :-1] != values[:, 1:]
    above = np.clip(-np.where(last, diff, np.inf).min(axis=1), 0, 1)
    below = np.where(last, diff, -np.inf).max(axis=1)
    d = np.where(above > below, above, below)
    big, small = sorted([float(n1), float(n2)], reverse=True)
    p = np.ones(len(d))
    wanted = d >= min_statistic
    if len(d):
        wanted[np.argmax(d)] = True
    p[wanted] = np.clip(stats.kstwo.sf(d[wanted], np.round(big * small / (big + small))), 0, 1)
    return d, p


def match_classes(
    y_train: np.ndarray, y_other: np.ndarray, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of both splits such that the training rows follow the other split's class
    proportions, over the classes both splits hold (as many training rows as that allows).

    Example::

        >>> tr, ot = match_classes(np.array([0] * 90 + [1] * 10), np.array([0, 1] * 20))
        >>> np.bincount(np.array([0] * 90 + [1] * 10)[tr]).tolist(), len(ot)
        ([10, 10], 40)
    """
    shared = np.intersect1d(np.unique(y_train), np.unique(y_other))
    ot = np.flatnonzero(np.isin(y_other, shared))
    share = np.array([(y_other[ot] == c).mean() for c in shared])
    have = np.array([(y_train == c).sum() for c in shared])
    scale = float(np.min(have / share))
    rng = np.random.default_rng(seed)
    picks = [
        rng.choice(np.flatnonzero(y_train == c), int(np.floor(scale * p + 1e-9)), replace=False)
        for c, p in zip(shared, share)
    ]
    return np.sort(np.concatenate(picks)), ot


def _samples(x_train, x_other, y_train, y_other, field: str, max_rows: int, seed: int):
    """The training and other rows to compare, at matched class proportions when both have
    class labels, sub-sampled and finite: ``(train, other, matched)``, or None when either
    side has fewer than :data:`MIN_OTHER` rows or the feature counts differ."""
    tr, ot = rows(as_array(x_train, "x_train")), rows(as_array(x_other, field))
    if tr.shape[1] != ot.shape[1] or len(ot) < MIN_OTHER or len(tr) < MIN_OTHER:
        return None
    lab_tr = None if y_train is None else class_labels(as_array(y_train, "y_train"))
    lab_ot = None if y_other is None else class_labels(as_array(y_other, "y_other"))
    matched = (
        lab_tr is not None
        and lab_ot is not None
        and len(lab_tr) == len(tr)
        and len(lab_ot) == len(ot)
    )
    if matched:
        keep_tr, keep_ot = match_classes(lab_tr, lab_ot, seed)
        tr, ot = tr[keep_tr], ot[keep_ot]
        if len(ot) < MIN_OTHER or len(tr) < MIN_OTHER:
            return None
    tr = tr[sample_indices(len(tr), max_rows, seed)]
    ot = ot[sample_indices(len(ot), max_rows, seed)]
    tr, ot = tr[finite_rows(tr)], ot[finite_rows(ot)]
    if len(ot) < MIN_OTHER or len(tr) < MIN_OTHER:
        return None
    return tr, ot, matched


def check_distribution_shift(
    x_train: Any,
    x_other: Any,
    *,
    y_train: Any = None,
    y_other: Any = None,
    field: str = "x_val",
    max_rows: int = 5000,
    max_features: int = 256,
    seed: int = 0,
) -> list[Finding]:
    """A warning when ``x_other`` differs in distribution from ``x_train``.

    ``y_train``/``y_other`` (class labels, optional): compare at matched class proportions.
    Evidence: ``features_tested``, ``features_shifted``, ``worst_feature`` (flattened index),
    ``mean_shift`` (in training std at that feature), ``median_shift`` (over the shifted
    features), ``ks_statistic`` (largest),
    ``p_value`` (smallest, Bonferroni-corrected), ``n_train``, ``n_other``.
    Fix: ``{"data.split": "stratified"}`` (a random re-split), after checking preprocessing.

    Example::

        >>> rng = np.random.default_rng(0)
        >>> a, b = rng.normal(size=(1000, 3)), rng.normal(size=(300, 3)) + 1.0
        >>> [f.evidence["features_shifted"] for f in check_distribution_shift(a, b)]
        [3]
    """
    from scipy import stats

    if x_other is None:
        return []
    samples = _samples(x_train, x_other, y_train, y_other, field, max_rows, seed)
    if samples is None:
        return []
    tr, ot, matched = samples
    _, std, active = feature_stats(tr)
    cols = np.flatnonzero(active)
    if cols.size == 0:
        return []
    if cols.size > max_features:
        cols = np.sort(np.random.default_rng(seed).choice(cols, max_features, replace=False))
    a, b = tr[:, cols].astype(np.float64), ot[:, cols].astype(np.float64)
    m = len(cols)
    shift = (b.mean(axis=0) - a.mean(axis=0)) / std[cols]
    # a feature constant within the other split gives NaN/precision warnings: NaN -> p = 1
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p_mean = stats.ttest_ind(a, b, axis=0, equal_var=False).pvalue
        # a KS p-value only matters where the statistic is material (and the smallest)
        d_ks, p_ks = ks_two_sample(a, b, min_statistic=KS_STATISTIC)
    p_mean = np.nan_to_num(p_mean, nan=1.0) * 2 * m  # Bonferroni over both tests
    p_ks = p_ks * 2 * m
    hit = ((p_mean < ALPHA) & (np.abs(shift) >= MEAN_SHIFT)) | (
        (p_ks < ALPHA) & (d_ks >= KS_STATISTIC)
    )
    if not hit.any():
        return []
    # the worst shifted feature: by mean shift when one moved materially, else by KS
    score = np.where(hit, np.abs(shift) + d_ks, -1.0)
    w = int(np.argmax(score))
    p_min = float(min(p_mean.min(), p_ks.min(), 1.0))
    n_hit = int(hit.sum())
    # a nearly constant feature (a digit image's corner pixel) moves by many of its own stds:
    # the median over shifted features says more about the split than the extreme one
    typical = float(np.median(shift[hit]))
    return [
        Finding(
            code="distribution_shift",
            severity="warning",
            where=field,
            evidence={
                "features_tested": m,
                "features_shifted": n_hit,
                "worst_feature": int(cols[w]),
                "mean_shift": float(shift[w]),
                "median_shift": typical,
                "ks_statistic": float(d_ks.max()),
                "p_value": p_min,
                "n_train": len(a),
                "n_other": len(b),
                "class_matched": matched,
                "alpha": ALPHA,
            },
            message=(
                f"The {field} inputs differ from the training inputs: {n_hit} of {m} features "
                f"are shifted, by a median {fmt(typical)} training standard deviations (most: "
                f"feature {int(cols[w])}, {fmt(float(shift[w]))}; largest KS statistic "
                f"{fmt(float(d_ks.max()))}, corrected p {p_min:.1e})."
            ),
            fix=Fix(
                "give every split the same preprocessing (statistics fitted on train, applied "
                "to all); if the splits come from different sources or times, re-split at "
                "random so each holds a share of every source",
                {"data.split": "stratified"},
            ),
        )
    ]
