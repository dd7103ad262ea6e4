"""``unnormalized_inputs``: inputs far from zero mean and unit scale.

Read per feature (each column, signal position or pixel), over the features that vary
(constant pixels, such as the blank border of digit images, are left out). Fires when:

- the typical feature scale (median over features of the root mean square) is above
  :data:`HUGE` or below :data:`TINY`: the first layer's pre-activations are then far from
  what default initializers assume, so a learning rate that suits one layer suits no other;
- one feature's scale is more than :data:`SPREAD` times the median feature's: it dominates
  the first layer's gradient;
- the typical feature has a mean more than :data:`OFFSET` standard deviations away from
  zero: the signal is a small ripple on a large constant;
- every feature is constant (zero variance, e.g. a preprocessing step wiped the inputs): the
  model can learn nothing from them.

Cost: one mean/std pass over at most 5000 samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.preflight.arrays import as_array, finite_rows, fmt, rows, sample_indices

#: typical scale above this: raw pixels 0..16 (scale ~7.5) still train, 0..255 do not
HUGE = 12.0
#: typical scale below this: inputs so small the first layer barely sees them
TINY = 1e-2
#: one feature this many times the typical one's scale takes over the first layer's gradient
SPREAD = 25.0
#: typical mean this many stds from zero: the variation is drowned in a constant
OFFSET = 5.0


def feature_stats(x2d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-feature mean, std and the mask of features that vary (std above 1e-3 of the median
    non-zero std), in float64."""
    mean, std = x2d.mean(axis=0, dtype=np.float64), x2d.std(axis=0, dtype=np.float64)
    pos = std[std > 0]
    if pos.size == 0:
        return mean, std, np.zeros_like(std, dtype=bool)
    return mean, std, std > 1e-3 * np.median(pos)


def check_unnormalized_inputs(
    x: Any, *, field: str = "x_train", max_rows: int = 5000, seed: int = 0
) -> list[Finding]:
    """A warning when the inputs are not standardized (see the module text for the rules).

    Evidence: ``typical_scale`` (median feature RMS), ``largest_scale`` and
    ``largest_feature`` (flattened index), ``scale_ratio`` (largest / typical),
    ``offset_over_std`` (median |mean| / std), ``reasons`` and the thresholds.
    Fix: ``{"data.standardize": "auto"}``.

    Example::

        >>> x = np.random.default_rng(0).normal(size=(500, 4)) * 100
        >>> [f.evidence["reasons"] for f in check_unnormalized_inputs(x)]
        [['huge']]
    """
    arr = as_array(x, field)
    if arr.size == 0 or not np.issubdtype(arr.dtype, np.number):
        return []
    x2d = rows(arr)
    x2d = x2d[sample_indices(len(x2d), max_rows, seed)]
    x2d = x2d[finite_rows(x2d)]
    if len(x2d) < 2:
        return []
    mean, std, active = feature_stats(x2d)
    if not active.any():
        return _constant(float(np.abs(x2d).max()), x2d.shape[1], field)
    rms = np.sqrt(mean**2 + std**2)
    # the lower median: with 2 features, the median proper is the mean of both, and one
    # feature blown up 100x would look like a huge typical scale rather than a spread
    typical = float(np.quantile(rms[active], 0.5, method="lower"))
    idx = np.flatnonzero(active)
    largest_feature = int(idx[np.argmax(rms[active])])
    largest = float(rms[largest_feature])
    ratio = largest / typical if typical > 0 else float("inf")
    offset = float(np.median(np.abs(mean[active]) / std[active]))
    reasons, parts = [], []
    if typical > HUGE:
        reasons.append("huge")
        parts.append(f"the typical feature has scale {fmt(typical)} (about 1 is expected)")
    elif typical < TINY:
        reasons.append("tiny")
        parts.append(f"the typical feature has scale {fmt(typical)} (about 1 is expected)")
    if ratio > SPREAD:
        reasons.append("spread")
        parts.append(
            f"feature {largest_feature} is {fmt(ratio)}x larger than the typical feature "
            f"({fmt(largest)} against {fmt(typical)})"
        )
    if offset > OFFSET:
        reasons.append("offset")
        parts.append(f"the typical feature's mean lies {fmt(offset)} standard deviations from 0")
    if not reasons:
        return []
    return [
        Finding(
            code="unnormalized_inputs",
            severity="warning",
            where=field,
            evidence={
                "typical_scale": typical,
                "largest_scale": largest,
                "largest_feature": largest_feature,
                "scale_ratio": ratio,
                "offset_over_std": offset,
                "features": int(active.sum()),
                "reasons": reasons,
                "thresholds": {"huge": HUGE, "tiny": TINY, "spread": SPREAD, "offset": OFFSET},
            },
            message=f"{field} is not standardized: {'; '.join(parts)}.",
            fix=Fix(
                "standardize the inputs with mean and std fitted on the training split and "
                "applied to every split",
                {"data.standardize": "auto"},
            ),
        )
    ]


def _constant(largest: float, features: int, field: str) -> list[Finding]:
    return [
        Finding(
            code="unnormalized_inputs",
            severity="warning",
            where=field,
            evidence={"features": features, "largest_abs_value": largest, "reasons": ["constant"]},
            message=(
                f"Every one of the {features} input features in {field} is constant across "
                f"samples (largest absolute value {fmt(largest)}), so the model can learn "
                "nothing from the inputs."
            ),
            fix=Fix(
                "check the input pipeline (loading, scaling, indexing): every sample is identical"
            ),
        )
    ]
