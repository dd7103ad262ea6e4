"""Train/validation splits (Keras "last fraction" and stratified) and k-fold indices.

The functions take numpy arrays or torch tensors (anything indexable by an integer array)
and return the same type. sklearn is imported on first use: it costs about a second at
import time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainwise.errors import DataError


def _labels(y: Any) -> np.ndarray:
    return y.detach().cpu().numpy() if hasattr(y, "detach") else np.asarray(y)


def _take(a: Any, idx: np.ndarray) -> Any:
    if hasattr(a, "detach"):  # torch tensor: index with a tensor so it stays on its device
        import torch

        return a[torch.as_tensor(idx, dtype=torch.long, device=a.device)]
    return np.asarray(a)[idx]


def n_held_out(n: int, fraction: float) -> int:
    """How many of ``n`` samples a split of ``fraction`` holds out: ``floor(n * fraction)``.

    This is Keras' rule (it keeps ``ceil(n * (1 - fraction))`` for training); the small
    tolerance stops float error from losing a sample (4000 * 0.1 must be 400, not 399).

    Example::

        >>> n_held_out(4000, 0.1), n_held_out(10, 0.25)
        (400, 2)
    """
    return int(np.floor(n * fraction + 1e-9))


def keras_split(x: Any, y: Any, fraction: float) -> tuple[Any, Any, Any, Any]:
    """Hold out the LAST ``fraction`` of the samples, in order, as Keras ``validation_split``.

    Returns ``(x_train, y_train, x_val, y_val)``; nothing is shuffled, so data sorted by label
    gives a validation set of the last classes (shuffle it first).

    Example::

        >>> xt, yt, xv, yv = keras_split(np.arange(10), np.arange(10), 0.2)
        >>> xv.tolist(), len(xt)
        ([8, 9], 8)
    """
    n = len(x)
    if len(y) != n:
        raise DataError(f"y: {len(y)} samples; allowed: as many as x ({n})")
    cut = n - n_held_out(n, fraction)
    return x[:cut], y[:cut], x[cut:], y[cut:]


def stratified_split(
    x: Any, y: Any, fraction: float, seed: int = 0, stratify: bool = True
) -> tuple[Any, Any, Any, Any]:
    """Seeded random split keeping class proportions (sklearn ``train_test_split``).

    Returns ``(x_train, y_train, x_val, y_val)`` with ``floor(n * fraction)`` held out.
    ``stratify=False`` gives a plain seeded random split (used for regression targets).
    Raises :class:`DataError` when a class is too small to be split.

    Example::

        >>> y = np.array([0] * 8 + [1] * 4)
        >>> _, _, _, yv = stratified_split(np.arange(12), y, 0.25, seed=0)
        >>> sorted(yv.tolist())
        [0, 0, 1]
    """
    from sklearn.model_selection import train_test_split

    n = len(x)
    if len(y) != n:
        raise DataError(f"y: {len(y)} samples; allowed: as many as x ({n})")
    n_out = n_held_out(n, fraction)
    labels = _labels(y)
    try:
        train_idx, val_idx = train_test_split(
            np.arange(n),
            test_size=n_out,
            random_state=seed,
            stratify=labels if stratify else None,
        )
    except ValueError as e:
        raise DataError(
            f"split: a stratified split of {fraction} of {n} samples is impossible ({e}); "
            "allowed: every class needs at least 2 samples and the held-out part at least one "
            "sample per class"
        ) from None
    return _take(x, train_idx), _take(y, train_idx), _take(x, val_idx), _take(y, val_idx)


def kfold_indices(
    n_or_y: int | Any, k: int, seed: int = 0, stratified: bool = False
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` (train_idx, val_idx) pairs; every index is in exactly one validation fold.

    Uses sklearn ``KFold`` / ``StratifiedKFold`` with ``shuffle=True, random_state=seed``.
    ``n_or_y`` is the number of samples, or the labels (required when ``stratified``).

    Example::

        >>> folds = kfold_indices(10, k=5, seed=0)
        >>> sorted(np.concatenate([v for _, v in folds]).tolist()) == list(range(10))
        True
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    if isinstance(n_or_y, (int, np.integer)):
        if stratified:
            raise DataError("folds: stratified k-fold needs the labels; allowed: pass y, not n")
        n, labels = int(n_or_y), None
    else:
        labels = _labels(n_or_y)
        n = len(labels)
    if not (isinstance(k, (int, np.integer)) and 2 <= k <= n):
        raise DataError(f"folds: {k!r} is not possible with {n} samples; allowed: 2..{n}")
    if stratified:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        try:
            folds = list(splitter.split(np.zeros(n), labels))
        except ValueError as e:
            raise DataError(
                f"folds: {k} stratified folds are impossible ({e}); allowed: at most as many "
                "folds as the smallest class has samples"
            ) from None
    else:
        folds = list(KFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(n)))
    return [(tr.astype(np.int64), va.astype(np.int64)) for tr, va in folds]
