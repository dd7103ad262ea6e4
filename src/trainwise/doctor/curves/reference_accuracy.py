"""The accuracy a quick reference model reaches on the run's own training data: what
``underfitting`` and ``over_regularized`` compare the network with.

Why: a loss that plateaus high is underfitting only if a better model *could* do better on
these data. Where the classes overlap a plateau is the data's noise floor, not the model's
fault, and the curves alone cannot tell the two apart. Cross-validated models that need no
tuning can: scikit-learn's ``cross_val_predict``, out of fold, so their accuracy estimates
generalization like a validation score does, of two quick models on the same standardized
features (the preflight ``label_noise`` check's: raw inputs plus |FFT| for signals, 64 PCA
components for wide inputs; reused, not copied): 20 nearest neighbours (the ``label_noise``
model) and a multinomial logistic regression. The better of the two is the reference: they
fail in opposite places (kNN handles curved boundaries, a linear model on the
shift-invariant spectrum handles shifted patterns). Taking the better of two out-of-fold
scores is a selection with a small optimistic bias, which the rules' margin of two standard
errors absorbs.

It is a *lower* bar than the best possible, so a network below it certainly underfits, while
one above it may still underfit a little (the rule stays quiet then: precision first).

Cost: 5 kNN fits plus 5 logistic fits on at most 2000 rows, about 0.2-0.5 s of one CPU; the
doctor computes it lazily, only once a run's loss already looks stuck, so healthy runs do not
pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from trainwise.doctor.preflight.arrays import as_array, class_labels, finite_rows, sample_indices
from trainwise.doctor.preflight.label_noise import (
    features,
    linear_out_of_fold_predictions,
    out_of_fold_probabilities,
)

#: rows used at most (a random subset beyond; the accuracy's standard error at 2000 is ~1%)
MAX_ROWS = 2000
#: the fewest usable rows: below this the out-of-fold accuracy is too noisy to compare with
MIN_ROWS = 100


@dataclass(frozen=True)
class ReferenceAccuracy:
    """Out-of-fold accuracy of the quick model, on ``n`` training rows."""

    accuracy: float
    n: int
    #: which quick model reached it, in words for the findings' messages
    model: str = "a quick reference model"


def reference_accuracy(
    x: Any, y: Any, *, max_rows: int = MAX_ROWS, seed: int = 0
) -> ReferenceAccuracy | None:
    """Out-of-fold accuracy of the better of a 20-nearest-neighbour classifier and a logistic
    regression on ``(x, y)`` (class labels); see the module doc.

    Defaults: ``max_rows=2000`` (a seeded random subset beyond that; global RNGs untouched),
    ``seed=0``. Returns None when the labels are not classes, fewer than 100 usable rows
    remain, or a class has fewer than 5 rows (too few for 5 folds).

    Example::

        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(400, 2)); y = (x[:, 0] > 0).astype(int)
        >>> ref = reference_accuracy(x, y)
        >>> ref.accuracy > 0.9, ref.n
        (True, 400)
    """
    if x is None or y is None:
        return None
    arr, lab = as_array(x, "x_train"), as_array(y, "y_train")
    if len(arr) != len(lab) or len(arr) < MIN_ROWS:
        return None
    labels = class_labels(lab)
    if labels is None:
        return None
    idx = sample_indices(len(arr), max_rows, seed)
    xs = features(arr[idx])
    keep = finite_rows(xs)
    xs, ys = xs[keep], labels[idx][keep]
    classes, column, counts = np.unique(ys, return_inverse=True, return_counts=True)
    if len(ys) < MIN_ROWS or len(classes) < 2 or counts.min() < 5:
        return None
    knn = float((out_of_fold_probabilities(xs, column, seed).argmax(axis=1) == column).mean())
    linear = float((linear_out_of_fold_predictions(xs, column, seed) == column).mean())
    if linear > knn:
        model = "a logistic regression"
    else:
        model = "a 20-nearest-neighbour model"
    return ReferenceAccuracy(accuracy=max(knn, linear), n=int(len(ys)), model=model)
