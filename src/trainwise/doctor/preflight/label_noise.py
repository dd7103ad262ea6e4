"""``label_noise``: many training labels disagree with what the inputs say.

How: out-of-fold class probabilities from a quick model, scikit-learn's ``cross_val_predict``
(:data:`FOLDS` stratified folds) over a k-nearest-neighbour classifier (k = :data:`NEIGHBOURS`,
on standardized inputs; signals get their translation-invariant |FFT| next to the raw values,
large inputs are reduced to 64 PCA components). Then, in the confident-learning spirit, look
only at the samples the model is most sure about (the top 20% by out-of-fold confidence, at
least 100, at most half): the share of them whose label differs from the model's choice.

Why only the surest samples (not cleanlab's ``find_label_issues``, which is not a dependency,
or a copy of its confident joint, which counts every confident disagreement): injected noise
is independent of the input, so it shows up even where the model is surest, while a weak
quick model's own mistakes and the classes' natural overlap stay near its decision
boundaries.

Limit: classes that overlap everywhere look the same as noisy labels to any test on the data
alone (their surest predictions are wrong as often); the message and fix say so.

Fires when the share is at least :data:`SHARE`, its 95% Wilson lower bound at least
:data:`LOWER_BOUND`, the share is below :data:`CHANCE_RATIO` of what labels unrelated to the
inputs would give (``1 - sum_c p_c^2``), and the share on a random half of the samples is at
most :data:`DATA_LIMITED` times the full share. Abstains with fewer than :data:`MIN_PER_CLASS`
samples per class on average.

Cost: the neighbour search is most of it (about 0.2 s of one CPU on 3600 x 40 for all
samples; at most 4000 samples are used). So a seeded random :data:`SCREEN` (a quarter) of the
samples is judged first, with the very folds and fits of the full computation: when their
surest disagree clearly less than :data:`SHARE` (upper end of a 99.95% Wilson interval under
it) the check stops there, silent, at about a third of the cost; otherwise the other samples
follow and the verdict is exactly the one a single pass over all samples gives.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.preflight.arrays import (
    as_array,
    class_labels,
    finite_rows,
    fmt,
    one_thread,
    rows,
    sample_indices,
)
from trainwise.doctor.preflight.class_imbalance import multi_label

#: confident disagreement at or above this: clean data, even with overlapping classes, shows
#: clearly less
SHARE = 0.12
#: its 95% lower bound must reach this too: small datasets need clear evidence
LOWER_BOUND = 0.07
#: near the share of labels unrelated to the inputs the inputs predict nothing: not a
#: labelling problem this check can tell apart
CHANCE_RATIO = 0.7
#: neighbours of the quick model: smooth enough to outvote a wrong label nearby
NEIGHBOURS = 20
#: out-of-fold folds: every sample is judged by a model that never saw it
FOLDS = 5
#: fewer samples than this: no verdict
MIN_SAMPLES = 50
#: the share on half the data at most this times the full share: noise does not depend on
#: the data's size, a data-starved quick model's mistakes do
DATA_LIMITED = 1.6
#: under this many samples per class each neighbourhood spans a fifth of a class: abstain
MIN_PER_CLASS = 5 * NEIGHBOURS
#: share of the samples judged first (a seeded random subset): their out-of-fold
#: probabilities are exactly those of the full computation, so their surest disagreement is an
#: unbiased estimate of the full share at a quarter of the neighbour search's cost
SCREEN = 0.25
#: the screen stops the check (no finding) when the upper end of this-z Wilson interval of its
#: share stays under SHARE: 3.29 is 99.95% one-sided, so a stop the full check would have
#: contradicted is that unlikely even for data right at the threshold
SCREEN_Z = 3.29


def features(x: np.ndarray) -> np.ndarray:
    """(N, F) features for the quick model: the flattened inputs, plus |rfft| along the last
    axis for signals (N, C, L), which does not change when a pattern shifts in time."""
    flat = rows(x).astype(np.float32, copy=False)
    if x.ndim == 3 and x.shape[-1] >= 8:
        spectrum = np.abs(np.fft.rfft(x.astype(np.float32, copy=False), axis=-1))
        flat = np.concatenate([flat, rows(spectrum).astype(np.float32)], axis=1)
    return flat


def out_of_fold_probabilities(x2d: np.ndarray, labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """(N, K) out-of-fold probabilities over the sorted distinct labels, from
    ``cross_val_predict`` of standardize -> 20-NN, after a PCA to 64 components when the
    inputs are wider than 128."""
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(n_neighbors=NEIGHBOURS, algorithm="brute")
    return _out_of_fold(knn, x2d, labels, seed, "predict_proba")


def linear_out_of_fold_predictions(
    x2d: np.ndarray, labels: np.ndarray, seed: int = 0
) -> np.ndarray:
    """(N,) out-of-fold class predictions (label columns) of a multinomial logistic
    regression (L2, C=1, at most 200 L-BFGS iterations; scikit-learn's defaults otherwise) on
    the same standardized, PCA-reduced features and folds as :func:`out_of_fold_probabilities`.
    The underfitting rules' second reference model: linear where kNN is local."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        # 200 iterations is the cost cap: a not-quite-converged fit is still a fair yardstick
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _out_of_fold(LogisticRegression(max_iter=200), x2d, labels, seed, "predict")


def _reduced(x2d: np.ndarray, seed: int) -> np.ndarray:
    """``x2d`` itself, or its 64 PCA components (after standardizing) when wider than 128.
    PCA sees no labels, so fitting it once on all samples leaks nothing into the out-of-fold
    predictions, and costs a fifth of refitting it inside every fold. Call under one thread."""
    if x2d.shape[1] <= 128:
        return x2d
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    scaled = StandardScaler().fit_transform(x2d)
    return PCA(n_components=64, random_state=seed, svd_solver="randomized").fit_transform(scaled)


def _out_of_fold(estimator, x2d: np.ndarray, labels: np.ndarray, seed: int, method: str):
    """``cross_val_predict`` of standardize -> ``estimator`` over 5 stratified folds, after a
    PCA to 64 components when the inputs are wider than 128."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), estimator)
    cv = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    with one_thread():  # small distance matrices: see arrays.one_thread
        return cross_val_predict(model, _reduced(x2d, seed), labels, cv=cv, method=method)


class OutOfFold:
    """The out-of-fold probabilities of :func:`out_of_fold_probabilities`, for any rows on
    demand: the same stratified folds, the same per-fold fits (each made once, on first use)
    and the same predictions, so rows asked for in two batches get what one call for all rows
    gives. Lets :func:`check_label_noise` judge a quarter of the samples first.

    Example::

        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(300, 2)); y = (x[:, 0] > 0).astype(int)
        >>> oof = OutOfFold(x, y)
        >>> np.array_equal(oof.proba(np.arange(300)), out_of_fold_probabilities(x, y))
        True
    """

    def __init__(self, x2d: np.ndarray, labels: np.ndarray, seed: int = 0):
        from sklearn.model_selection import StratifiedKFold

        with one_thread():
            self.x = _reduced(x2d, seed)
        self.labels = labels
        cv = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
        self.train_rows = []
        self.fold_of = np.empty(len(labels), dtype=np.int64)
        for f, (train, test) in enumerate(cv.split(self.x, labels)):
            self.train_rows.append(train)
            self.fold_of[test] = f
        self.classes = np.unique(labels)
        self.models: list[Any] = [None] * FOLDS

    def proba(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), K) probabilities over the sorted distinct labels, each row predicted
        by the model of the folds it is not in."""
        from sklearn.neighbors import KNeighborsClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        out = np.zeros((len(rows), len(self.classes)))
        with one_thread():
            for f, train in enumerate(self.train_rows):
                mine = np.flatnonzero(self.fold_of[rows] == f)
                if not len(mine):
                    continue
                if self.models[f] is None:
                    knn = KNeighborsClassifier(n_neighbors=NEIGHBOURS, algorithm="brute")
                    model = make_pipeline(StandardScaler(), knn)
                    self.models[f] = model.fit(self.x[train], self.labels[train])
                model = self.models[f]
                cols = np.searchsorted(self.classes, model.classes_)
                out[np.ix_(mine, cols)] = model.predict_proba(self.x[rows[mine]])
        return out


def _surest(proba: np.ndarray, column: np.ndarray):
    """The samples the model is surest about (top 20%, at least 100, at most half), its
    choices, and which of the surest disagree with their label."""
    n = len(column)
    k = int(min(max(0.2 * n, 100), 0.5 * n))
    top = np.argsort(-proba.max(axis=1), kind="stable")[:k]
    choice = proba.argmax(axis=1)
    return top, choice, choice[top] != column[top]


def _confident_disagreement(xs: np.ndarray, column: np.ndarray, seed: int) -> float | None:
    """The disagreement share of :func:`_surest` on a subset (None if it cannot be split)."""
    counts = np.bincount(column)
    if (counts[counts > 0] < FOLDS).any() or len(column) < MIN_SAMPLES:
        return None
    _, col = np.unique(column, return_inverse=True)
    top, _, wrong = _surest(out_of_fold_probabilities(xs, col, seed), col)
    return float(wrong.mean()) if len(top) else None


def wilson_lower(successes: int, n: int, z: float = 1.96) -> float:
    """Lower end of the Wilson score interval of a binomial share (95% by default)."""
    if n == 0:
        return 0.0
    p = successes / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - half) / (1 + z * z / n))


def wilson_upper(successes: int, n: int, z: float = 1.96) -> float:
    """Upper end of the Wilson score interval of a binomial share (95% by default)."""
    if n == 0:
        return 1.0
    p = successes / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return min(1.0, (centre + half) / (1 + z * z / n))


def _screened_probabilities(xs: np.ndarray, column: np.ndarray, seed: int) -> np.ndarray | None:
    """The out-of-fold probabilities of all rows, or None when a random :data:`SCREEN` of
    them already shows the check cannot fire (their surest disagree clearly under SHARE: the
    upper end of the :data:`SCREEN_Z` Wilson interval). Rows of the screen are not
    recomputed, so a check that goes on sees exactly what one full computation gives."""
    n = len(column)
    oof = OutOfFold(xs, column, seed)
    first = np.sort(np.random.default_rng(seed).permutation(n)[: int(SCREEN * n)])
    proba = np.empty((n, len(oof.classes)))
    proba[first] = oof.proba(first)
    top, _, wrong = _surest(proba[first], column[first])
    if len(top) and wilson_upper(int(wrong.sum()), len(top), SCREEN_Z) < SHARE:
        return None
    rest = np.setdiff1d(np.arange(n), first, assume_unique=True)
    proba[rest] = oof.proba(rest)
    return proba


def check_label_noise(
    x: Any,
    y: Any,
    *,
    field: str = "y_train",
    max_rows: int = 4000,
    seed: int = 0,
) -> list[Finding]:
    """A warning when a large share of confidently-predicted labels disagree with the model.

    Needs class labels (classification or binary) and at least 50 usable samples; classes
    with fewer than 5 samples are left out (they cannot be split into 5 folds). Multi-label
    targets ((N, C) 0/1 rows that do not all sum to 1) are skipped: the check judges one
    class per sample, and the argmax of a multi-hot row (its first tag) is not a label any
    input could confirm, so it would count every sample whose other tags a neighbour vote
    prefers as "disagreeing". Does not touch
    the global random generators.

    Evidence: ``estimated_share``, ``checked``, ``disagreeing``, ``lower_bound``,
    ``oof_accuracy`` (the quick model on all used samples, for context), ``chance_share``
    (the share labels unrelated to the inputs would give), ``suspects`` (up to
    10 sample indices, most confident first), ``threshold``.
    Fix: ``{"loss.label_smoothing": 0.1}`` while the labels are reviewed.

    Example::

        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(600, 2)); y = (x[:, 0] > 0).astype(int)
        >>> check_label_noise(x, y)
        []
    """
    if y is None:
        return []
    arr, lab = as_array(x, "x_train"), as_array(y, field)
    if len(arr) != len(lab) or len(arr) < MIN_SAMPLES:
        return []
    if multi_label(lab):
        # several 0/1 labels per sample: the argmax of a multi-hot row is not its label, and
        # a row's tags are not one class a neighbour vote can contradict (see the docstring)
        return []
    labels = class_labels(lab)
    if labels is None:
        return []
    idx = sample_indices(len(arr), max_rows, seed)
    xs = features(arr[idx])
    keep = finite_rows(xs)
    uniq, counts = np.unique(labels[idx][keep], return_counts=True)
    keep &= np.isin(labels[idx], uniq[counts >= FOLDS])
    if len(uniq[counts >= FOLDS]) < 2 or keep.sum() < MIN_SAMPLES:
        return []
    idx, xs, ys = idx[keep], xs[keep], labels[idx][keep]
    classes, column = np.unique(ys, return_inverse=True)
    if len(ys) < MIN_PER_CLASS * len(classes):
        return []  # too few samples per class for a 20-NN yardstick: abstain (see docstring)
    proba = _screened_probabilities(xs, column, seed)
    if proba is None:
        return []  # a quarter of the samples already shows clearly less than SHARE
    n = len(ys)
    top, choice, wrong = _surest(proba, column)
    k = len(top)
    disagreeing = int(wrong.sum())
    share = disagreeing / k
    lower = wilson_lower(disagreeing, k)
    priors = np.bincount(column) / n
    chance = float(1 - (priors**2).sum())
    if share < SHARE or lower < LOWER_BOUND or share >= CHANCE_RATIO * chance:
        return []
    # learning-curve test: the same check on half the samples. Label noise does not depend on
    # how much data the quick model has (share about the same), a quick model too weak for the
    # data does (far more disagreement on half). Only paid when the check would fire.
    half_rng = np.random.default_rng(seed + 1)
    half = np.sort(half_rng.permutation(n)[: n // 2])
    half_share = _confident_disagreement(xs[half], column[half], seed)
    if half_share is not None and half_share > DATA_LIMITED * share:
        return []
    suspects = [int(i) for i in idx[top[wrong]][:10]]
    accuracy = float((choice == column).mean())
    return [
        Finding(
            code="label_noise",
            severity="warning",
            where=field,
            evidence={
                "estimated_share": share,
                "checked": k,
                "disagreeing": disagreeing,
                "lower_bound": lower,
                "oof_accuracy": accuracy,
                "chance_share": chance,
                "samples_used": n,
                "suspects": suspects,
                "model": f"{NEIGHBOURS}-nearest neighbours, {FOLDS}-fold out-of-fold",
                "threshold": SHARE,
            },
            message=(
                f"About {fmt(100 * share)}% of the training labels disagree with their "
                f"inputs: of the {k} samples a cross-validated nearest-neighbour model is surest "
                f"about, {disagreeing} carry a different label (clean, separable data shows "
                f"under {fmt(100 * SHARE)}%), e.g. samples {suspects[:5]}."
            ),
            fix=Fix(
                "review the labels of the suspect samples and relabel or drop the wrong ones; "
                "label smoothing softens the harm meanwhile (and is the remedy if the classes "
                "genuinely overlap)",
                {"loss.label_smoothing": 0.1},
            ),
        )
    ]
