"""``label_out_of_range``: targets the loss cannot take.

Classification: labels must be whole numbers in 0..C-1, where C is the declared number of
classes or the model's output width (an index past the last logit is a device-side assert on
a GPU and an IndexError on the CPU, thousands of steps in if the bad label is rare). One-hot
or soft targets (N, C) must lie in [0, 1] and have C columns. Binary cross-entropy: targets
in [0, 1]. Regression targets have no range. Non-finite targets are ``nan_in_data``'s and are
skipped here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.preflight.arrays import as_array, first_indices, fmt


def check_label_range(
    y: Any,
    *,
    task: str = "classification",
    num_classes: int | None = None,
    source: str | None = None,
    field: str = "y_train",
) -> list[Finding]:
    """An error finding when targets fall outside what the task and the model allow.

    Args:
        y: targets, (N,) labels, (N, 1), or (N, C) one-hot/soft targets.
        task: "classification" | "binary" | "regression" (regression is never checked).
        num_classes: C; None checks only that labels are whole numbers >= 0.
        source: where C comes from, for the message (default ``"num_classes=C"``), e.g.
            ``"the model has 10 outputs"``.
        field: the name reported in ``where``.

    Evidence: ``bad`` (count), ``total``, ``min``, ``max``, ``allowed``, ``first_samples``.

    Example::

        >>> [f.evidence["bad"] for f in check_label_range(np.array([0, 1, 5]), num_classes=3)]
        [1]
    """
    if task == "regression" or y is None:
        return []
    arr = as_array(y, field)
    if arr.size == 0:
        return []
    if task == "binary":
        return _binary(arr, field)
    if arr.ndim == 2 and arr.shape[1] > 1:
        return _one_hot(arr, num_classes, source, field)
    flat = arr.reshape(len(arr))
    finite = (
        np.isfinite(flat) if np.issubdtype(flat.dtype, np.floating) else np.ones(len(flat), bool)
    )
    v = flat.astype(np.float64)
    whole = v == np.round(v)
    bad = finite & (~whole | (v < 0))
    if num_classes is not None:
        bad |= finite & (v > num_classes - 1)
    if not bad.any():
        return []
    allowed = f"0..{num_classes - 1}" if num_classes is not None else "whole numbers >= 0"
    why = source or (f"num_classes={num_classes}" if num_classes is not None else "")
    lo, hi = float(v[finite].min()), float(v[finite].max())
    first = first_indices(bad)
    n_bad = int(bad.sum())
    uniq = np.unique(v[finite])
    if num_classes is not None and lo == 1 and hi == num_classes and np.all(uniq == np.round(uniq)):
        fix = Fix(f"the labels look 1-based (1..{num_classes}); subtract 1 from every label")
    elif not whole[finite].all():
        fix = Fix(
            "classification needs whole-number class labels; for continuous targets use a "
            "regression loss (mse, mae, huber)",
            {"loss.name": "mse"},
        )
    elif lo >= 0 and num_classes is not None:
        fix = Fix(
            f"remap the labels to 0..{num_classes - 1}, or give the model {int(hi) + 1} outputs",
            {"data.n_classes": int(hi) + 1},
        )
    else:
        fix = Fix(f"remap the labels to {allowed} (e.g. with np.unique(y, return_inverse=True))")
    return [
        Finding(
            code="label_out_of_range",
            severity="error",
            where=field,
            evidence={
                "bad": n_bad,
                "total": len(flat),
                "min": lo,
                "max": hi,
                "allowed": allowed,
                "num_classes": num_classes,
                "first_samples": first,
            },
            message=(
                f"{n_bad} of {len(flat)} labels in {field} are outside {allowed}"
                f"{f' ({why})' if why else ''}: they range from {fmt(lo)} to {fmt(hi)}, the "
                f"first bad ones in samples {first}."
            ),
            fix=fix,
        )
    ]


def _binary(arr: np.ndarray, field: str) -> list[Finding]:
    v = arr.reshape(len(arr), -1).astype(np.float64)
    finite = np.isfinite(v)
    bad = finite & ((v < 0) | (v > 1))
    if not bad.any():
        return []
    rows_bad = bad.any(axis=1)
    lo, hi = float(v[finite].min()), float(v[finite].max())
    uniq = np.unique(v[finite])
    if set(uniq.tolist()) <= {-1.0, 1.0}:
        fix = Fix("the targets are -1/+1; map -1 to 0 (y = (y + 1) / 2)")
    else:
        fix = Fix("binary cross-entropy needs targets in [0, 1]; map the two classes to 0 and 1")
    first = first_indices(rows_bad)
    return [
        Finding(
            code="label_out_of_range",
            severity="error",
            where=field,
            evidence={
                "bad": int(rows_bad.sum()),
                "total": len(v),
                "min": lo,
                "max": hi,
                "allowed": "[0, 1]",
                "first_samples": first,
            },
            message=(
                f"{int(rows_bad.sum())} of {len(v)} targets in {field} are outside [0, 1], which "
                f"binary cross-entropy needs: they range from {fmt(lo)} to {fmt(hi)}, the first "
                f"bad ones in samples {first}."
            ),
            fix=fix,
        )
    ]


def _one_hot(
    arr: np.ndarray, num_classes: int | None, source: str | None, field: str
) -> list[Finding]:
    v = arr.astype(np.float64)
    finite = np.isfinite(v)
    bad = finite & ((v < 0) | (v > 1))
    rows_bad = bad.any(axis=1)
    width = arr.shape[1]
    wrong_width = num_classes is not None and width != num_classes
    if not rows_bad.any() and not wrong_width:
        return []
    why = source or f"num_classes={num_classes}"
    parts = []
    if rows_bad.any():
        parts.append(f"{int(rows_bad.sum())} of {len(v)} rows hold values outside [0, 1]")
    if wrong_width:
        parts.append(f"they have {width} columns but there are {num_classes} classes ({why})")
    first = first_indices(rows_bad)
    return [
        Finding(
            code="label_out_of_range",
            severity="error",
            where=field,
            evidence={
                "bad": int(rows_bad.sum()),
                "total": len(v),
                "min": float(v[finite].min()),
                "max": float(v[finite].max()),
                "width": width,
                "num_classes": num_classes,
                "allowed": "one-hot or soft targets in [0, 1], one column per class",
                "first_samples": first,
            },
            message=f"The one-hot targets in {field} do not fit: {'; '.join(parts)}.",
            fix=Fix(
                "give one column per class with values in [0, 1] (rows summing to 1), or pass "
                "integer class labels with the cross_entropy loss",
                {"loss.name": "cross_entropy"},
            ),
        )
    ]
