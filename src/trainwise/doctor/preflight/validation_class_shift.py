"""``validation_class_shift``: the held-out split's class make-up differs from training's.

The usual cause is a split taken from the tail of data sorted by class (keras #8346: "the
last 20% of the data ... is the whole class 5"): the validation set then holds classes that
training barely has, so its scores say little about the model. Reported as what it is, a
class shift, rather than as a per-feature ``distribution_shift`` (whose class-matched tests
cannot even run for a class training lacks; ``run_preflight`` drops that finding for a split
this one covers).

Rule: a chi-square test of homogeneity on the 2 x C table of class counts (train, other)
gives p below :data:`ALPHA` (Bonferroni over the splits checked, val and test) *and* the
total-variation distance between the two class distributions (half the summed absolute
differences of the shares; the share of held-out samples that would have to change class to
match training) is at least :data:`MIN_TV`. Why both: with hundreds of samples a random split
has TV of a few percent (for 10 balanced classes and 300 held-out samples about 0.07 at the
extreme), which the test calls chance; the minimum effect keeps a huge but mildly unbalanced
split quiet, since a class-share wobble of under 10% does not change what validation measures.
Classes with no training sample at all are named (the model cannot learn them). At least
:data:`MIN_SAMPLES` samples in each split.

Cost: two ``np.unique`` and one ``scipy.stats.chi2_contingency``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.preflight.arrays import as_array, class_labels, fmt

#: significance of the homogeneity test, per split (Bonferroni over val and test: 1e-3 / 2)
ALPHA = 5e-4
#: smallest total-variation distance that counts: 10% of held-out samples in the "wrong" class
MIN_TV = 0.10
MIN_SAMPLES = 30


def check_validation_class_shift(
    y_train: Any, y_other: Any, *, field: str = "y_val", task: str = "classification"
) -> list[Finding]:
    """A warning when the class shares of ``y_other`` differ from those of ``y_train``.

    Evidence: ``total_variation``, ``chi2``, ``p_value``, ``train_shares``, ``other_shares``
    (per class), ``missing_in_train`` (classes held out only), ``n_train``, ``n_other``.

    Example::

        >>> y_tr = np.repeat(np.arange(8), 50); y_va = np.repeat([8, 9], 50)
        >>> f = check_validation_class_shift(y_tr, y_va)[0]
        >>> f.evidence["missing_in_train"], round(f.evidence["total_variation"], 2)
        ([8, 9], 1.0)
    """
    if task == "regression" or y_train is None or y_other is None:
        return []
    a, b = as_array(y_train, "y_train"), as_array(y_other, field)
    if min(len(a), len(b)) < MIN_SAMPLES or a.ndim > 2 or b.ndim > 2:
        return []
    if (a.ndim == 2 and a.shape[1] > 1 and (a.sum(1) != 1).any()) or (
        b.ndim == 2 and b.shape[1] > 1 and (b.sum(1) != 1).any()
    ):
        return []  # multi-label or soft targets: no single class per sample
    la, lb = class_labels(a), class_labels(b)
    if la is None or lb is None:
        return []
    classes = np.union1d(la, lb)
    if len(classes) < 2:
        return []
    ca = np.array([(la == c).sum() for c in classes], dtype=float)
    cb = np.array([(lb == c).sum() for c in classes], dtype=float)
    pa, pb = ca / ca.sum(), cb / cb.sum()
    tv = float(0.5 * np.abs(pa - pb).sum())
    if tv < MIN_TV:
        return []
    from scipy.stats import chi2_contingency  # lazy: start-up time

    chi2, p, _, _ = chi2_contingency(np.stack([ca, cb]))
    if p >= ALPHA:
        return []
    missing = [int(c) for c, k in zip(classes, ca) if k == 0]
    order = np.argsort(-np.abs(pa - pb))[:3]
    diffs = ", ".join(
        f"class {int(classes[i])} {fmt(100 * pb[i])}% vs {fmt(100 * pa[i])}%" for i in order
    )
    lacking = (
        f"; classes {', '.join(map(str, missing))} have no training sample at all"
        if len(missing) > 1
        else (f"; class {missing[0]} has no training sample at all" if missing else "")
    )
    split = field.removeprefix("y_")
    return [
        Finding(
            code="validation_class_shift",
            severity="warning",
            where=field,
            evidence={
                "total_variation": tv,
                "chi2": float(chi2),
                "p_value": float(p),
                "train_shares": {int(c): float(s) for c, s in zip(classes, pa)},
                "other_shares": {int(c): float(s) for c, s in zip(classes, pb)},
                "missing_in_train": missing,
                "n_train": int(len(la)),
                "n_other": int(len(lb)),
                "threshold": MIN_TV,
            },
            message=(
                f"The {split} split's classes differ from training's: {fmt(100 * tv)}% of its "
                f"{len(lb)} samples would have to change class to match the training shares "
                f"(chi-square p = {fmt(float(p))}; most: {diffs}){lacking}, so its scores do "
                "not measure the task the model is trained on; typical of a split cut from "
                "the end of data sorted by class."
            ),
            fix=Fix(
                "shuffle the data before splitting, or split stratified by class so every "
                "split holds the same class shares",
                {"data.split": "stratified"},
            ),
        )
    ]
