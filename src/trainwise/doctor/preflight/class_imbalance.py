"""``class_imbalance`` (preflight): a class too small, against the largest one, to be learned.

Skewed class shares alone are not a fault: a class-weighted loss, a balanced sampler, or
simply separable classes let a model learn the small classes anyway. So the shares found here
are reported as ``info`` (with the numbers); the warning comes from the run itself, when the
model is seen ignoring the small classes (the live rule,
:mod:`~trainwise.doctor.live.class_imbalance`). A declared class with no training sample at
all cannot be learned whatever the loop does: that one is a warning at once.

Multi-label targets ((N, C) 0/1 with rows that do not sum to 1) are not classes and are
skipped: their argmax is not a label, and a rare tag among many is how such data look.

Imbalanced means: the smallest class has fewer than :data:`RATIO` of the largest class's
training samples *and* fewer than :data:`MAX_MINORITY` samples. Classes declared by
``num_classes`` but absent from the training split count as empty. Cost: one bincount.
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

#: the fix every class_imbalance finding gives
FIX = Fix(
    "weigh the loss by inverse class frequency (data.class_weight: balanced; in a plain loop "
    "CrossEntropyLoss(weight=n / (C * counts))) or draw every class equally often "
    "(data.balanced_sampler: true; WeightedRandomSampler); collect more samples of the small "
    "classes if you can",
    {"data.class_weight": "balanced"},
)


def imbalance_of(counts: dict[int, int]) -> dict[str, Any] | None:
    """The evidence of an imbalance in ``counts`` (class -> training samples), or None when
    the classes are balanced enough (or fewer than two).

    >>> imbalance_of({0: 300, 1: 10})["small_classes"], imbalance_of({0: 300, 1: 100})
    ([1], None)
    """
    if len(counts) < 2:
        return None
    classes = sorted(counts)
    k = np.array([counts[c] for c in classes])
    lo, hi = int(np.argmin(k)), int(np.argmax(k))
    ratio = float(k[lo] / k[hi]) if k[hi] > 0 else 1.0
    if ratio >= RATIO or k[lo] >= MAX_MINORITY:
        return None
    return {
        "counts": {int(c): int(n) for c, n in zip(classes, k)},
        "minority_class": int(classes[lo]),
        "minority_count": int(k[lo]),
        "majority_class": int(classes[hi]),
        "majority_count": int(k[hi]),
        "ratio": ratio,
        "small_classes": [int(c) for c, n in zip(classes, k) if n < RATIO * k[hi]],
        "threshold": RATIO,
    }


def describe(ev: dict[str, Any]) -> str:
    """``ev`` (from :func:`imbalance_of`) in words: which classes, how many samples, the
    ratio.

    >>> describe(imbalance_of({0: 300, 1: 10}))
    'class 1 has 10 training samples against 300 for class 0 (1:30)'
    """
    counts, small = ev["counts"], ev["small_classes"]
    if len(small) == 1:
        who = f"class {small[0]} has {counts[small[0]]} training samples"
    else:
        few = [counts[c] for c in small]
        span = f"{min(few)}" if min(few) == max(few) else f"{min(few)} to {max(few)}"
        who = f"{len(small)} classes ({_short(small)}) have {span} training samples each"
    ratio = ev["ratio"]
    ratio_text = f"1:{fmt(1 / ratio)}" if ratio > 0 else "none at all"
    return f"{who} against {ev['majority_count']} for class {ev['majority_class']} ({ratio_text})"


def check_class_imbalance(
    y: Any,
    *,
    num_classes: int | None = None,
    class_weighted: bool = False,
    field: str = "y_train",
) -> list[Finding]:
    """An ``info`` finding when the smallest training class is much smaller than the largest
    (a ``warning`` when a declared class has no training sample at all).

    Args:
        y: class labels (N,), or one-hot (N, C).
        num_classes [None]: when given, classes 0..C-1 with no training sample count as empty.
        class_weighted [False]: the loss is already class-weighted or the sampler balanced
            (said in the message; an empty class is then ``info`` too).
        field ["y_train"]: the data field named in ``where``.

    Evidence: ``counts`` (per class), ``minority_class``, ``minority_count``,
    ``majority_class``, ``majority_count``, ``ratio``, ``small_classes`` (every class under
    the ratio), ``threshold``. Fix: ``{"data.class_weight": "balanced"}``.

    Example::

        >>> y = np.array([0] * 300 + [1] * 10)
        >>> [(f.severity, f.evidence["ratio"]) for f in check_class_imbalance(y)]
        [('info', 0.03333333333333333)]
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
    ev = imbalance_of({int(c): int(k) for c, k in zip(classes, counts)})
    if ev is None:
        return []
    empty = ev["minority_count"] == 0 and not class_weighted
    if class_weighted:
        then = " (the loss is already class-weighted)."
    elif empty:
        then = ", so the model can score well while never predicting it."
    else:
        then = (
            ". That alone is no fault (a weighted loss, a balanced sampler or separable "
            "classes handle it); the doctor warns if the run shows the model ignoring them."
        )
    return [
        Finding(
            code="class_imbalance",
            severity="warning" if empty else "info",
            where=field,
            evidence=ev,
            message=f"The classes are imbalanced: {describe(ev)}{then}",
            fix=FIX,
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
