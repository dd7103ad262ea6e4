"""``labels_collapsed``: the targets have (nearly) lost their values: one class only, or
fractional targets cast to integers so that almost all of them became the same number.

Two mistakes users really make (cellpose #1220: labels stored as ``class / 255`` and cast
with ``.long()`` all become 0; pytorch #3346: regression targets in (-1, 1) cast to
``LongTensor`` are all 0 but the extremes). Either way the model can reach a near-zero loss by
predicting one constant, and it learns nothing about the inputs.

Rules (at least :data:`MIN_SAMPLES` targets):

- classification / binary: every training label is the same class (there is nothing to
  tell apart; a genuine dataset with one class is never trained as a classifier). Error.
- regression: the targets are whole numbers, at most :data:`MAX_VALUES` distinct values, and
  the most common one holds at least :data:`DOMINANT_SHARE` of them. Why: a real regression
  target is continuous; whole numbers that nearly all share one value are what truncating
  fractions leaves. Count targets (zero-inflated) rarely have 95% zeros *and* at most 3
  values; where they do, a regression on them is questionable anyway. Warning.

Cost: one ``np.unique``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.preflight.arrays import as_array, class_labels, fmt

#: fewer targets than this cannot say much about a distribution (a tiny batch can be one class)
MIN_SAMPLES = 20
#: regression: the most common value holds at least this share of the targets ...
DOMINANT_SHARE = 0.95
#: ... and there are at most this many distinct values (truncating (-1, 1) leaves -1, 0, 1)
MAX_VALUES = 3


def _fix(regression: bool) -> Fix:
    if regression:
        return Fix(
            "keep regression targets as floats (no .long() / .int() / LongTensor cast) and "
            "use a float loss such as MSE on them"
        )
    return Fix(
        "check how the labels are decoded: a cast such as .long() on scaled or fractional "
        "labels (class / 255, probabilities) turns them all into 0; undo the scaling first "
        "(round(y * 255).long()) or take argmax of one-hot labels"
    )


def check_labels_collapsed(y: Any, *, task: str = "classification", field: str = "y_train"):
    """A finding when the targets collapsed to (almost) one value; see the module doc.

    Evidence: ``values`` (distinct values, up to 10), ``dominant_value``, ``dominant_share``,
    ``n``, ``threshold``.

    Example::

        >>> [f.severity for f in check_labels_collapsed(np.zeros(100, dtype=int))]
        ['error']
        >>> check_labels_collapsed(np.arange(100) % 3)
        []
    """
    if y is None:
        return []
    arr = as_array(y, field)
    n = len(arr)
    if n < MIN_SAMPLES:
        return []
    regression = task == "regression"
    if regression:
        flat = arr.reshape(n, -1)
        if flat.shape[1] != 1 or not np.issubdtype(flat.dtype, np.number):
            return []
        t = flat[:, 0].astype(np.float64)
        if not np.isfinite(t).all() or not np.array_equal(t, np.round(t)):
            return []
        values, counts = np.unique(t, return_counts=True)
        if len(values) > MAX_VALUES or counts.max() < DOMINANT_SHARE * n:
            return []
    else:
        labels = class_labels(arr)
        if labels is None:
            return []
        values, counts = np.unique(labels, return_counts=True)
        if len(values) != 1:
            return []
    top = int(np.argmax(counts))
    share = float(counts[top] / n)
    dominant = values[top].item()
    dominant = int(dominant) if float(dominant).is_integer() else dominant
    if regression:
        what = (
            f"The regression targets in {field} are whole numbers and {fmt(100 * share)}% of "
            f"the {n} are {dominant} ({len(values)} distinct values: "
            f"{', '.join(fmt(v) for v in values)}), the signature of fractional targets cast to "
            "integers, so the model can only learn to predict a constant."
        )
    else:
        what = (
            f"Every one of the {n} labels in {field} is class {dominant}, so there is nothing "
            "to tell apart: the loss falls to zero by predicting that class whatever the input."
        )
    return [
        Finding(
            code="labels_collapsed",
            severity="warning" if regression else "error",
            where=field,
            evidence={
                "values": [v.item() for v in values[:10]],
                "dominant_value": dominant,
                "dominant_share": share,
                "n": n,
                "threshold": DOMINANT_SHARE if regression else 1.0,
            },
            message=what,
            fix=_fix(regression),
        )
    ]
