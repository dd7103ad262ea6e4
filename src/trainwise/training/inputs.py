"""Turn what a user passes to ``tw.fit`` into batch sources and checked options, with clear
errors.

Accepted data: an ``(x, y)`` pair of tensors or NumPy arrays, a torch ``Dataset`` yielding
``(x, y)``, or a ``DataLoader``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset

from trainwise.errors import ArgumentTypeError, ConfigError, DataError
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


def _is_number(value) -> bool:
    # numbers.Real also takes NumPy scalars (np.float32 is not a float subclass)
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_fraction(value, name: str = "validation_split") -> float:
    """``value`` as a float in the open interval (0, 1); else a message naming ``name``."""
    if not _is_number(value):
        raise ArgumentTypeError(
            f"{name}: {value!r} ({type(value).__name__}) is not allowed; allowed: a number in "
            "the open interval (0, 1), or None for no split"
        )
    if not 0 < value < 1:  # also refuses NaN
        raise DataError(
            f"{name}: {value!r} is not allowed; allowed: a number in the open interval (0, 1), "
            "or None for no split"
        )
    return float(value)


#: ``verbose=`` values of ``tw.fit`` -> the Progress mode (False: no progress display).
#: Keras' integers mean what they mean there: 0 silent, 1 as True, 2 one line per epoch.
_VERBOSE = {False: False, None: False, "off": False, True: "auto", "auto": "auto"}
_VERBOSE.update({"bar": "bar", "lines": "lines", 2: "lines"})

#: Device types ``tw.fit`` can train on, and how to tell whether this machine has one.
_DEVICES = {
    "cpu": lambda: True,
    "cuda": lambda: torch.cuda.is_available(),
    "mps": lambda: torch.backends.mps.is_available(),
}


def check_device(device) -> str:
    """``"auto"`` or a device this machine has (``cpu``, ``cuda``, ``cuda:1``, ``mps``)."""
    if device == "auto":
        return device
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError, ValueError):
        kind = None
    if kind not in _DEVICES:
        raise ConfigError(
            f"device: {device!r} is not allowed; allowed: cpu, cuda, cuda:N, mps or auto"
        )
    if not _DEVICES[kind]():
        raise ConfigError(
            f"device: {device!r} is not available on this machine (torch sees no {kind} "
            "device); allowed here: cpu or auto"
        )
    return str(device)


def check_fit_options(options: dict[str, Any]) -> dict[str, Any]:
    """Check ``tw.fit``'s scalar options before any work is done; return them normalised.

    Known keys: ``validation_split`` (None or in (0, 1)), ``seed`` (None or an int),
    ``device``, ``verbose`` (bool, None, 0/1/2, "auto", "bar", "lines", "off"; returned as a
    Progress mode or False), ``grad_clip_norm`` / ``grad_clip_value`` (None or a finite
    number > 0: a negative norm would flip the gradients' sign), ``checkpoint_every_epochs``
    / ``checkpoint_every_steps`` (None or an int >= 1), ``keep_checkpoints`` (an int >= 1).
    Wrong types raise :class:`ArgumentTypeError`, values out of range :class:`ConfigError`.

    Example::

        >>> check_fit_options({"verbose": 0, "validation_split": 0.2})
        {'verbose': False, 'validation_split': 0.2}
    """
    out = dict(options)
    for name, value in options.items():
        if name == "validation_split":
            out[name] = None if value is None else check_fraction(value, name)
        elif name == "device":
            out[name] = check_device(value)
        elif name == "verbose":
            try:
                out[name] = _VERBOSE[value]
            except (KeyError, TypeError):
                raise ConfigError(
                    f"verbose: {value!r} is not allowed; allowed: True, False, 0, 1, 2, "
                    "'auto', 'bar', 'lines', 'off'"
                ) from None
        elif value is None and name != "keep_checkpoints":
            continue
        elif name == "seed":
            if not _is_int(value):
                raise ArgumentTypeError(
                    f"seed: {value!r} ({type(value).__name__}) is not allowed; allowed: an "
                    "integer, or None to leave the random generators alone"
                )
        elif name in ("grad_clip_norm", "grad_clip_value"):
            if not _is_number(value):
                raise ArgumentTypeError(
                    f"{name}: {value!r} ({type(value).__name__}) is not allowed; allowed: a "
                    "number > 0, or None for no clipping"
                )
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(
                    f"{name}: {value!r} is not allowed; allowed: a finite number > 0, or None "
                    "for no clipping"
                )
        elif name in ("checkpoint_every_epochs", "checkpoint_every_steps", "keep_checkpoints"):
            if not _is_int(value) or value < 1:
                off = "" if name == "keep_checkpoints" else ", or None for off"
                raise ConfigError(
                    f"{name}: {value!r} is not allowed; allowed: an integer >= 1{off}"
                )
        else:
            raise KeyError(f"check_fit_options: no rule for {name!r}")  # a bug, not user input
    return out


def split_last(data, fraction: float, name: str = "validation_split"):
    """Keras semantics: the last ``fraction`` of the data, in order, becomes validation."""
    fraction = check_fraction(fraction, name)
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


def as_batches(data, name: str, batch_size: int, shuffle: bool, seed: int, sampler=None):
    """Make a batch source (see :mod:`trainwise.training.batches`) from user data."""
    if is_xy(data):
        x, y = as_xy(data, name)
        return TensorBatches(
            x, y, batch_size=batch_size, shuffle=shuffle, seed=seed, sampler=sampler
        )
    if isinstance(data, (Dataset, DataLoader)):
        n = len(data.dataset if isinstance(data, DataLoader) else data)  # type: ignore[arg-type]
        if n == 0:
            raise DataError(f"{name}: the dataset is empty (0 samples)")
        return LoaderBatches(data, batch_size=batch_size, shuffle=shuffle, seed=seed)
    raise ArgumentTypeError(f"{name}: expected {ACCEPTED}; got {type(data).__name__}")


def first_batch(batches) -> tuple[torch.Tensor, torch.Tensor]:
    """A small batch to check shapes and labels before training."""
    if isinstance(batches, TensorBatches):
        return batches.x[:2], batches.y[:2]
    xb, yb = next(iter(batches.epoch(0)))
    return xb[:2], yb[:2]
