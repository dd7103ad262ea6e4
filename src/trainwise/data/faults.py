"""Seeded data faults, injected on purpose so the doctor (and learners) can find them.

:func:`inject_faults` is called by :func:`trainwise.data.load.load_data` after the splits and
before standardization. Each fault draws from its own seeded stream, so switching one fault
on does not change what another one does.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from torch import Tensor

from trainwise.data.bundle import DataBundle
from trainwise.data.config import FaultConfig
from trainwise.data.standardize import Standardizer
from trainwise.errors import DataError

# stream number of each fault in np.random.default_rng([seed, stream])
_STREAM = {"imbalance": 1, "label_noise": 2, "nan_fraction": 3}


def _rng(seed: int, fault: str) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAM[fault]])


def _needs_classes(b: DataBundle, fault: str, value: object) -> None:
    if b.task != "classification":
        raise DataError(
            f"data.faults.{fault}: {value!r} needs a classification dataset; allowed for "
            f"{b.task}: 0 (off)"
        )


def _feature_index(x: Tensor, features: list[int] | None) -> slice | Tensor:
    if features is None:
        return slice(None)
    width = x.shape[1]
    for f in features:
        if not 0 <= f < width:
            raise DataError(
                f"data.faults.features: {f} is not a feature/channel index; allowed: 0..{width - 1}"
            )
    return torch.as_tensor(features, dtype=torch.long)


def _imbalance(b: DataBundle, ratio: float, seed: int) -> DataBundle:
    # class 0 keeps everything, every other class keeps max(1, round(ratio * count)).
    y = b.y_train.numpy()
    rng = _rng(seed, "imbalance")
    keep = np.ones(len(y), dtype=bool)
    for c in range(1, b.num_classes):
        members = np.flatnonzero(y == c)
        if members.size == 0:
            continue
        n_keep = max(1, int(round(ratio * members.size)))
        keep[rng.choice(members, members.size - n_keep, replace=False)] = False
    mask = torch.from_numpy(keep)
    return dataclasses.replace(b, x_train=b.x_train[mask], y_train=b.y_train[mask])


def _label_noise(b: DataBundle, fraction: float, seed: int) -> DataBundle:
    if b.num_classes < 2:
        raise DataError("data.faults.label_noise: needs at least 2 classes; allowed: 0 (off)")
    rng = _rng(seed, "label_noise")
    n = len(b.y_train)
    idx = rng.choice(n, int(round(fraction * n)), replace=False)
    y = b.y_train.clone()
    # adding 1..C-1 modulo C always lands on a different class, uniformly over the others
    step = rng.integers(1, b.num_classes, size=idx.size)
    y[idx] = (y[idx] + torch.from_numpy(step)) % b.num_classes
    return dataclasses.replace(b, y_train=y)


def _sort_by_label(b: DataBundle) -> DataBundle:
    key = b.y_train if b.y_train.ndim == 1 else b.y_train[:, 0]
    order = torch.argsort(key, stable=True)
    return dataclasses.replace(b, x_train=b.x_train[order], y_train=b.y_train[order])


def _affine(b: DataBundle, scale: float, offset: float, features: list[int] | None) -> DataBundle:
    # every split: the fault models raw data in other units, which all splits share.
    idx = _feature_index(b.x_train, features)

    def apply(x: Tensor | None) -> Tensor | None:
        if x is None:
            return None
        x = x.clone()
        x[:, idx] = x[:, idx] * scale + offset
        return x

    return dataclasses.replace(
        b, x_train=apply(b.x_train), x_val=apply(b.x_val), x_test=apply(b.x_test)
    )


def _covariate_shift(b: DataBundle, shift: float) -> DataBundle:
    # in training-std units, per feature (tabular) or channel (signals/images): after the
    # train-fitted standardization, val/test means sit `shift` away from train's 0.
    std = Standardizer("auto", b.kind).fit(b.x_train).std
    moved = {
        k: getattr(b, k) + shift * std for k in ("x_val", "x_test") if getattr(b, k) is not None
    }
    return dataclasses.replace(b, **moved)


def _nan(b: DataBundle, fraction: float, seed: int) -> DataBundle:
    x = b.x_train.clone()
    flat = x.view(-1)
    idx = _rng(seed, "nan_fraction").choice(
        flat.numel(), int(round(fraction * flat.numel())), replace=False
    )
    flat[torch.from_numpy(idx)] = float("nan")
    return dataclasses.replace(b, x_train=x)


def inject_faults(bundle: DataBundle, cfg: FaultConfig, seed: int = 0) -> DataBundle:
    """Return a copy of ``bundle`` with the faults of ``cfg`` injected (``bundle`` is unchanged).

    Order: ``imbalance`` (training split), ``label_noise`` (training), ``sort_by_label``
    (training), ``scale``/``offset`` (all splits), ``covariate_shift`` (validation and test),
    ``nan_fraction`` (training inputs). Counts are exact: ``round(fraction * n)`` labels
    change class, ``round(fraction * numel)`` values become NaN. The names of the faults
    applied are appended to ``bundle.faults``. Same seed, same faults.

    Example::

        >>> b = DataBundle(torch.zeros(10, 2), torch.arange(10) % 2, None, None, None, None,
        ...                task="classification", num_classes=2, input_shape=(2,),
        ...                kind="tabular", name="toy")
        >>> f = inject_faults(b, FaultConfig(label_noise=0.3), seed=0)
        >>> int((f.y_train != b.y_train).sum()), f.faults
        (3, ['label_noise'])
    """
    active = cfg.active()
    if not active:
        return bundle
    b = bundle
    if cfg.imbalance != 1.0:
        _needs_classes(b, "imbalance", cfg.imbalance)
        b = _imbalance(b, cfg.imbalance, seed)
    if cfg.label_noise > 0:
        _needs_classes(b, "label_noise", cfg.label_noise)
        b = _label_noise(b, cfg.label_noise, seed)
    if cfg.sort_by_label:
        b = _sort_by_label(b)
    if cfg.scale != 1.0 or cfg.offset != 0.0:
        b = _affine(b, cfg.scale, cfg.offset, cfg.features)
    if cfg.covariate_shift != 0.0:
        b = _covariate_shift(b, cfg.covariate_shift)
    if cfg.nan_fraction > 0:
        b = _nan(b, cfg.nan_fraction, seed)
    return dataclasses.replace(b, faults=[*bundle.faults, *active])
