"""From a ``data:`` config to a :class:`DataBundle`: source, checks, splits, faults, scaling.

Pipeline: read the source -> check it (sizes, NaN/Inf, labels) -> test split (only if the
source has no test set) -> validation split -> faults -> standardization fitted on the
training split -> tensors. The NaN/Inf check runs on the source, before the faults, so the
NaNs that ``faults.nan_fraction`` injects reach the doctor instead of stopping the load.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from trainwise.data.builtin import data_seed, load_builtin
from trainwise.data.bundle import DataBundle
from trainwise.data.class_weights import compute_class_weights
from trainwise.data.config import FILE_DATASETS, DataConfig
from trainwise.data.faults import inject_faults
from trainwise.data.files import load_csv, load_image_folder, load_npz
from trainwise.data.raw_dataset import RawDataset, kind_of
from trainwise.data.splits import keras_split, n_held_out, stratified_split
from trainwise.data.standardize import Standardizer
from trainwise.errors import ConfigError, DataError


def load_source(cfg: DataConfig, cache_dir: str | Path | None = None) -> RawDataset:
    """Read ``cfg.name`` as numpy arrays: a built-in dataset, or ``cfg.path`` for files.

    Example::

        >>> load_source(DataConfig(name="wine")).x.shape
        (178, 13)
    """
    if cfg.name in FILE_DATASETS:
        if not cfg.path:
            raise ConfigError(
                f"data.path: {cfg.path!r} is missing; allowed: the path of the "
                f"{'folder' if cfg.name == 'image_folder' else 'file'} to read, required when "
                f"data.name is {cfg.name!r}"
            )
        if cfg.name == "csv":
            return load_csv(cfg.path, cfg.target)
        if cfg.name == "npz":
            return load_npz(cfg.path)
        return load_image_folder(cfg.path)
    return load_builtin(cfg, cache_dir)


def _check_finite(a: np.ndarray, field: str) -> None:
    if not np.issubdtype(a.dtype, np.floating):
        return
    bad = ~np.isfinite(a)
    if bad.any():
        sample = int(np.argwhere(bad)[0][0])
        raise DataError(
            f"{field}: {int(bad.sum())} NaN/Inf values (the first in sample {sample}); allowed: "
            "finite numbers only (drop or impute the missing values first)"
        )


def _class_indices(
    y: np.ndarray, y_test: np.ndarray | None, declared: int | None, names: list[str] | None
) -> tuple[np.ndarray, np.ndarray | None, int, list[str] | None]:
    """Targets as int64 class indices, the number of classes, and class names."""
    both = y if y_test is None else np.concatenate([y, y_test])
    if both.dtype.kind in "US":  # class names: index them in sorted order
        names = [str(v) for v in np.unique(both)]
        lookup = {v: i for i, v in enumerate(names)}
        index = np.vectorize(lambda v: lookup[str(v)], otypes=[np.int64])
        return index(y), None if y_test is None else index(y_test), len(names), names
    if both.dtype.kind == "f":
        _check_finite(both, "y")
        frac = both[both != np.round(both)]
        if frac.size:
            raise DataError(
                f"y: {float(frac[0])!r} is not a class index; allowed: whole-number labels for "
                "classification (or set data.task: regression)"
            )
    elif both.dtype.kind not in "iub":
        raise DataError(f"y: dtype {both.dtype}; allowed: integer, float or string labels")
    y = y.astype(np.int64)
    y_test = None if y_test is None else y_test.astype(np.int64)
    both = both.astype(np.int64)
    n_classes = declared if declared is not None else int(both.max()) + 1
    bad = both[(both < 0) | (both >= n_classes)]
    if bad.size:
        why = f"data.n_classes={declared}" if declared is not None else "labels must be >= 0"
        raise DataError(
            f"y: label {int(bad[0])} is outside 0..{n_classes - 1} ({why}); allowed: class "
            f"indices 0..{n_classes - 1}"
        )
    if names is None or len(names) != n_classes:
        names = (names or [])[:n_classes] + [str(i) for i in range(len(names or []), n_classes)]
    return y, y_test, n_classes, names


def _checked(raw: RawDataset, cfg: DataConfig) -> tuple[RawDataset, int | None]:
    """The source with targets normalised to their task, and the number of classes."""
    x, y, x_test, y_test = (np.asarray(a) if a is not None else None for a in raw[:4])
    if x.ndim == 1:
        x = x[:, None]
    kind = raw.kind or kind_of(x)
    if kind_of(x) is None or kind_of(x) != kind:
        raise DataError(
            f"x: shape {x.shape} for {kind} data; allowed: (N, F) tabular, (N, C, L) signal, "
            "(N, C, H, W) image"
        )
    if x.dtype.kind not in "iufb":
        raise DataError(f"x: dtype {x.dtype}; allowed: numbers")
    if len(x) == 0:
        raise DataError(
            f"data.name: {cfg.name!r} has 0 samples; allowed: a dataset with at least 2 samples"
        )
    if len(y) != len(x):
        raise DataError(f"y: {len(y)} targets for {len(x)} samples of x; allowed: one per sample")
    if (x_test is None) != (y_test is None):
        raise DataError("x_test/y_test: only one is given; allowed: both or neither")
    if x_test is not None:
        if x_test.ndim == 1:
            x_test = x_test[:, None]
        if x_test.shape[1:] != x.shape[1:]:
            raise DataError(
                f"x_test: sample shape {x_test.shape[1:]}; allowed: the shape of x's samples "
                f"{x.shape[1:]}"
            )
        if len(y_test) != len(x_test):
            raise DataError(
                f"y_test: {len(y_test)} targets for {len(x_test)} samples of x_test; allowed: "
                "one per sample"
            )
        _check_finite(x_test, "x_test")
    _check_finite(x, "x")
    task = raw.task if cfg.task == "auto" else cfg.task
    names = raw.class_names
    if y.ndim != 1 and not (task == "regression" and y.ndim == 2):
        allowed = "(N,) class indices" if task == "classification" else "(N,) or (N, D)"
        raise DataError(f"y: shape {y.shape} for {task}; allowed: {allowed}")
    if task == "classification":
        y, y_test, n_classes, names = _class_indices(y, y_test, cfg.n_classes, names)
        present = np.unique(y)
        if present.size < 2:
            raise DataError(
                f"y: every label is {names[present[0]]!r}, one class; allowed: at least 2 "
                "classes for classification"
            )
    else:
        if y.dtype.kind not in "iufb":
            raise DataError(
                f"y: dtype {y.dtype} ({y.flat[0]!r}); allowed: numbers for regression (or set "
                "data.task: classification)"
            )
        y = y.astype(np.float32)
        y_test = None if y_test is None else np.asarray(y_test).astype(np.float32)
        for a, field in ((y, "y"), (y_test, "y_test")):
            if a is not None:
                _check_finite(a, field)
        n_classes, names = None, None
    raw = RawDataset(x, y, x_test, y_test, task, kind, names)
    return raw, n_classes


def _split(x, y, fraction: float, cfg: DataConfig, seed: int, field: str, stratify: bool):
    n_out = n_held_out(len(x), fraction)
    if n_out == 0:
        raise DataError(
            f"data.{field}: {fraction} of {len(x)} samples holds out 0 samples; allowed: a "
            f"larger fraction, or 0 for no {field.replace('_split', '')} split"
        )
    if cfg.split == "keras":
        return keras_split(x, y, fraction)
    return stratified_split(x, y, fraction, seed, stratify=stratify)


def _tensor(a: np.ndarray | None, dtype: torch.dtype) -> torch.Tensor | None:
    return None if a is None else torch.from_numpy(np.ascontiguousarray(a)).to(dtype)


def prepare_data(
    raw: RawDataset, cfg: DataConfig, seed: int = 0, name: str | None = None
) -> DataBundle:
    """Check, split, fault and standardize arrays from any source into a :class:`DataBundle`.

    ``seed`` drives the stratified validation split and the faults; the test split (made
    only when ``raw`` has no test set) uses the data seed, so every run of a comparison is
    scored on the same test samples. ``name`` defaults to ``cfg.name``.

    Example::

        >>> x = np.random.default_rng(0).normal(size=(100, 3))
        >>> raw = RawDataset(x, (x[:, 0] > 0).astype(int), None, None, "classification", "tabular")
        >>> b = prepare_data(raw, DataConfig(validation_split=0.1, test_split=0.2))
        >>> len(b.x_train), len(b.x_val), len(b.x_test)
        (72, 8, 20)
    """
    raw, n_classes = _checked(raw, cfg)
    x, y, x_test, y_test = raw.x, raw.y, raw.x_test, raw.y_test
    strat = raw.task == "classification"  # "stratified" is a plain random split for regression
    if x_test is None and cfg.test_split > 0:
        x, y, x_test, y_test = _split(
            x, y, cfg.test_split, cfg, data_seed(cfg), "test_split", strat
        )
    x_val = y_val = None
    if cfg.validation_split > 0:
        x, y, x_val, y_val = _split(
            x, y, cfg.validation_split, cfg, seed, "validation_split", strat
        )
    ydt = torch.int64 if raw.task == "classification" else torch.float32
    bundle = DataBundle(
        x_train=_tensor(x, torch.float32),
        y_train=_tensor(y, ydt),
        x_val=_tensor(x_val, torch.float32),
        y_val=_tensor(y_val, ydt),
        x_test=_tensor(x_test, torch.float32),
        y_test=_tensor(y_test, ydt),
        task=raw.task,
        num_classes=n_classes,
        input_shape=tuple(x.shape[1:]),
        kind=raw.kind,
        name=name or cfg.name,
        class_names=raw.class_names,
    )
    bundle = inject_faults(bundle, cfg.faults, seed)
    if cfg.standardize != "none":
        st = Standardizer(cfg.standardize, raw.kind).fit(bundle.x_train)
        bundle.standardizer = st
        bundle.x_train = st.transform(bundle.x_train)
        if bundle.x_val is not None:
            bundle.x_val = st.transform(bundle.x_val)
        if bundle.x_test is not None:
            bundle.x_test = st.transform(bundle.x_test)
    if raw.task != "classification":
        for field, on in (
            ("class_weight", cfg.class_weight),
            ("balanced_sampler", cfg.balanced_sampler),
        ):
            if on:
                raise ConfigError(
                    f"data.{field}: {on!r} needs a classification dataset; allowed for "
                    "regression: null/false"
                )
    elif cfg.class_weight is not None:
        bundle.class_weights = compute_class_weights(bundle.y_train, n_classes, cfg.class_weight)
    return bundle


def load_data(cfg: DataConfig, seed: int = 0, cache_dir: str | Path | None = None) -> DataBundle:
    """Load and prepare the dataset described by ``cfg`` (see :func:`prepare_data`).

    Defaults: ``seed=0``; ``cache_dir=None`` caches MNIST-1D under ``$TRAINWISE_CACHE`` or
    ``~/.cache/trainwise``. Raises :class:`DataError` for unusable data (empty, one class,
    NaN/Inf, labels outside 0..C-1, x/y of different lengths) and :class:`ConfigError` for
    settings that do not fit the data; both name the field, the value and what is allowed.

    Example::

        >>> b = load_data(DataConfig(name="iris"))
        >>> b.summary().splitlines()[1]
        'train 108, val 12, test 30'
    """
    return prepare_data(load_source(cfg, cache_dir), cfg, seed, name=cfg.name)
