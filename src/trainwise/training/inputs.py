"""Turn the data a user passes to ``tw.fit`` into batch sources, with clear errors.

Accepted data: an ``(x, y)`` pair of tensors or NumPy arrays, a torch ``Dataset`` yielding
``(x, y)``, or a ``DataLoader``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset

from trainwise.errors import ArgumentTypeError, DataError
from trainwise.training.batches import LoaderBatches, TensorBatches

ACCEPTED = "an (x, y) pair of tensors or NumPy arrays, a torch Dataset, or a DataLoader"


def to_tensor(a, name: str, *, target: bool = False) -> torch.Tensor:
    """NumPy/tensor -> tensor; float64 inputs become float32 (the models' dtype)."""
    if isinstance(a, np.ndarray):
        if a.dtype == object:
            raise DataError(f"{name}: object arrays are not allowed; give numeric arrays")
        t = torch.from_numpy(np.ascontiguousarray(a))
    elif isinstance(a, torch.Tensor):
        t = a
    else:
        try:
            t = torch.as_tensor(np.asarray(a))
        except (TypeError, ValueError) as exc:
            raise ArgumentTypeError(
                f"{name}: cannot turn {type(a).__name__} into a tensor ({exc})"
            ) from None
    if t.dtype == torch.float64 or (not target and not t.is_floating_point()):
        t = t.float()
    if target and t.dtype in (torch.int32, torch.int16, torch.int8, torch.uint8):
        t = t.long()
    return t


def as_xy(data, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate and convert an (x, y) pair."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise ArgumentTypeError(f"{name}: expected {ACCEPTED}; got {type(data).__name__}")
    x = to_tensor(data[0], f"{name}[0] (x)")
    y = to_tensor(data[1], f"{name}[1] (y)", target=True)
    if x.shape[0] != y.shape[0]:
        raise DataError(
            f"{name}: x has {x.shape[0]} samples but y has {y.shape[0]}; they must have the same length"
        )
    if x.shape[0] == 0:
        raise DataError(
            f"{name}: the dataset is empty (0 samples); give at least one batch of data"
        )
    return x, y


def is_xy(data) -> bool:
    return (
        isinstance(data, (tuple, list))
        and len(data) == 2
        and not isinstance(data[0], (Dataset, DataLoader))
    )


def split_last(data, fraction: float, name: str = "validation_split"):
    """Keras semantics: the last ``fraction`` of the data, in order, becomes validation.
    ``fraction`` is already checked (``data.validation_split``: in (0, 1))."""
    if isinstance(data, DataLoader):
        raise ArgumentTypeError(
            f"{name} cannot split a DataLoader (its order belongs to it); pass val_data=, or give "
            "an (x, y) pair or a Dataset"
        )
    if is_xy(data):
        x, y = as_xy(data, "train_data")
        n_val = int(round(x.shape[0] * fraction))
        if n_val == 0 or n_val == x.shape[0]:
            raise DataError(f"{name}: {fraction} of {x.shape[0]} samples leaves an empty split")
        cut = x.shape[0] - n_val
        return (x[:cut], y[:cut]), (x[cut:], y[cut:])
    if isinstance(data, Dataset):
        n = len(data)  # type: ignore[arg-type]
        cut = n - int(round(n * fraction))
        return Subset(data, range(cut)), Subset(data, range(cut, n))
    raise ArgumentTypeError(f"train_data: expected {ACCEPTED}; got {type(data).__name__}")


def as_batches(
    data, name: str, batch_size: int, shuffle: bool, seed: int, sampler=None, pin_memory=False
):
    """Make a batch source (see :mod:`trainwise.training.batches`) from user data;
    ``pin_memory`` (default False) for a CUDA run."""
    if is_xy(data):
        x, y = as_xy(data, name)
        return TensorBatches(
            x,
            y,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            sampler=sampler,
            pin_memory=pin_memory,
        )
    if isinstance(data, (Dataset, DataLoader)):
        n = len(data.dataset if isinstance(data, DataLoader) else data)  # type: ignore[arg-type]
        if n == 0:
            raise DataError(f"{name}: the dataset is empty (0 samples)")
        return LoaderBatches(
            data, batch_size=batch_size, shuffle=shuffle, seed=seed, pin_memory=pin_memory
        )
    raise ArgumentTypeError(f"{name}: expected {ACCEPTED}; got {type(data).__name__}")


def first_batch(batches) -> tuple[torch.Tensor, torch.Tensor]:
    """A small batch to check shapes and labels before training."""
    if isinstance(batches, TensorBatches):
        return batches.x[:2], batches.y[:2]
    xb, yb = next(iter(batches.epoch(0)))
    return xb[:2], yb[:2]
