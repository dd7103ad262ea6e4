"""``class_imbalance``: a class too small, against the largest one, to be learned.

Multi-label targets ((N, C) 0/1 with rows that do not sum to 1) are not classes and are
skipped: their argmax is not a label, and a rare tag among many is how such data look.

Fires when the smallest class has fewer than :data:`RATIO` of the largest class's training
samples *and* fewer than :data:`MAX_MINORITY` samples. Classes declared by ``num_classes`` but
absent from the training split count as empty. Cost: one bincount.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.preflight.arrays import as_array, class_labels, fmt

#: worse than about 1:7: the loss can then be lowered most by ignoring the minority
RATIO = 0.15
#: a large imbalance with hundreds of samples in every class is learnable: left alone
MAX_MINORITY = 500


def check_class_imbalance(
    y: Any,
    *,
    num_classes: int | None = None,
    class_weighted: bool = False,
    field: str = "y_train",
) -> list[Finding]:
    """A warning when the smallest training class is much smaller than the largest.

    Args:
        y: class labels (N,), or one-hot (N, C).
        num_classes: when given, classes 0..C-1 with no training sample count as empty.
        class_weighted: the loss is already class-weighted or the sampler balanced: the
            finding is then only ``info`` (still reported, not an alarm).

    Evidence: ``counts`` (per class), ``minority_class``, ``minority_count``,
    ``majority_class``, ``majority_count``, ``ratio``, ``small_classes`` (every class under
    the ratio). Fix: ``{"data.class_weight": "balanced"}``.

    Example::

        >>> y = np.array([0] * 300 + [1] * 10)
        >>> [f.evidence["ratio"] for f in check_class_imbalance(y)]
        [0.03333333333333333]
    """
    if y is None:
        return []
    arr = as_array(y, field)
    if multi_label(arr):
        return []  # several 0/1 labels per sample: each column is its own binary task
    labels = class_labels(arr)
    if labels is None or labels.size == 0:
        return []
    labels = labels[labels >= 0]
    if num_classes is not None:
        labels = labels[labels < num_classes]
        counts = np.bincount(labels, minlength=num_classes)
        classes = np.arange(num_classes)
    else:
        classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        return []
    lo, hi = int(np.argmin(counts)), int(np.argmax(counts))
    ratio = float(counts[lo] / counts[hi])
    if ratio >= RATIO or counts[lo] >= MAX_MINORITY:
        return []
    small = [int(c) for c, k in zip(classes, counts) if k < RATIO * counts[hi]]
    if len(small) == 1:
        who = f"class {small[0]} has {int(counts[lo])} training samples"
    else:
        few = counts[np.isin(classes, small)]
        span = (
            f"{int(few.min())}"
            if few.min() == few.max()
            else f"{int(few.min())} to {int(few.max())}"
        )
        who = f"{len(small)} classes ({_short(small)}) have {span} training samples each"
    ratio_text = f"1:{fmt(1 / ratio)}" if ratio > 0 else "none at all"
    handled = " (the loss is already class-weighted)" if class_weighted else ""
    return [
        Finding(
            code="class_imbalance",
            severity="info" if class_weighted else "warning",
            where=field,
            evidence={
                "counts": {int(c): int(k) for c, k in zip(classes, counts)},
                "minority_class": int(classes[lo]),
                "minority_count": int(counts[lo]),
                "majority_class": int(classes[hi]),
                "majority_count": int(counts[hi]),
                "ratio": ratio,
                "small_classes": small,
                "threshold": RATIO,
            },
            message=(
                f"The classes are imbalanced: {who} against {int(counts[hi])} for class "
                f"{int(classes[hi])} ({ratio_text}), so the model can score well while "
                f"ignoring them{handled}."
            ),
            fix=Fix(
                "weigh the loss by inverse class frequency (data.class_weight: balanced) or "
                "draw every class equally often (data.balanced_sampler: true); collect more "
                "samples of the small classes if you can",
                {"data.class_weight": "balanced"},
            ),
        )
    ]


def multi_label(arr: np.ndarray) -> bool:
    """True for (N, C>1) targets of 0s and 1s whose rows do not all sum to 1 (multi-label).

    >>> multi_label(np.array([[1, 1, 0], [0, 0, 1]])), multi_label(np.eye(3))
    (True, False)
    """
    if arr.ndim != 2 or arr.shape[1] < 2 or not np.issubdtype(arr.dtype, np.number):
        return False
    binary = np.isin(arr, (0, 1)).all()
    return bool(binary and (arr.sum(axis=1) != 1).any())


def _short(classes: list[int]) -> str:
    if len(classes) <= 6:
        return ", ".join(map(str, classes))
    return ", ".join(map(str, classes[:5])) + f", ... {classes[-1]}"
