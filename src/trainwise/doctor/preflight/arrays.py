"""Array plumbing shared by the preflight checks: any input as numpy, one row per sample.

The checks accept numpy arrays, torch tensors (any device, any float dtype) and nested lists.
Tensors on the CPU are viewed, not copied; bfloat16/float16 are widened to float32 first
because numpy has no bfloat16.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from trainwise.errors import ArgumentTypeError, DataError
from trainwise.vocabulary import format_number as fmt  # noqa: F401 (the checks' number format)


def as_array(a: Any, field: str) -> np.ndarray:
    """``a`` as a numpy array with one entry per sample along axis 0.

    Raises :class:`ArgumentTypeError` for things that are not arrays (a ``DataLoader``, a
    dict ...). Example::

        >>> import torch
        >>> as_array(torch.ones(3, 2), "x").shape
        (3, 2)
    """
    if isinstance(a, torch.Tensor):
        t = a.detach().cpu()
        if t.is_floating_point() and t.dtype not in (torch.float32, torch.float64):
            t = t.float()
        return t.numpy()
    if isinstance(a, np.ndarray):
        return a
    if isinstance(a, (list, tuple)):
        try:
            return np.asarray(a)
        except ValueError as e:
            raise ArgumentTypeError(
                f"{field}: a ragged list cannot be checked ({e}); allowed: an array or tensor "
                "with one row per sample"
            ) from None
    raise ArgumentTypeError(
        f"{field}: {type(a).__name__} is not supported by the preflight checks; allowed: a "
        "numpy array, a torch tensor or a list with one row per sample"
    )


def rows(x: np.ndarray) -> np.ndarray:
    """``x`` flattened to (N, F): one row per sample (a view when possible).

    Example::

        >>> rows(np.zeros((4, 1, 10))).shape
        (4, 10)
    """
    if x.ndim == 0:
        raise DataError(f"inputs: a scalar ({x!r}); allowed: one row per sample")
    return x.reshape(len(x), -1)


def finite_rows(x2d: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows with only finite values (integer data is always finite)."""
    if not np.issubdtype(x2d.dtype, np.floating):
        return np.ones(len(x2d), dtype=bool)
    return np.isfinite(x2d).all(axis=1)


def sample_indices(n: int, cap: int, seed: int = 0) -> np.ndarray:
    """At most ``cap`` sorted row indices of ``n``, drawn without replacement from a local
    seeded generator (the global numpy and torch RNGs are not touched).

    Example::

        >>> sample_indices(5, 10).tolist(), len(sample_indices(10_000, 100))
        ([0, 1, 2, 3, 4], 100)
    """
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, cap, replace=False))


_POOLS: Any = None  # the process's BLAS/OpenMP pools, looked up once (see one_thread)


def one_thread() -> Any:
    """A context manager under which the BLAS and OpenMP thread pools (numpy, scipy,
    scikit-learn, torch) run one thread each, restored on exit.

    Why one thread: the checks' matrices are small, and OpenMP threads waiting for a busy CPU
    cost more than they save (3-5x slower on 2 shared cores). Why not ``threadpool_limits``
    on each call: it looks the loaded libraries up every time, about 15 ms; a
    ``ThreadpoolController`` made once (after scikit-learn and scipy are loaded, so their
    pools are among those it knows) costs microseconds per use.

    Example::

        >>> with one_thread():
        ...     _ = np.ones((4, 4)) @ np.ones((4, 4))
    """
    global _POOLS
    if _POOLS is None:
        # lazy: start-up time (scikit-learn and scipy load their native pools on import)
        import scipy.linalg  # noqa: F401
        import sklearn.neighbors  # noqa: F401
        from threadpoolctl import ThreadpoolController

        _POOLS = ThreadpoolController()
    return _POOLS.limit(limits=1)


def first_indices(mask: np.ndarray, k: int = 5) -> list[int]:
    """The first ``k`` positions where ``mask`` is true, as plain ints (for evidence)."""
    return [int(i) for i in np.flatnonzero(mask)[:k]]


def class_labels(y: np.ndarray) -> np.ndarray | None:
    """Integer class labels from targets, or None when they are not whole numbers.

    (N,) or (N, 1) targets are taken as they are; (N, C) one-hot or soft targets give their
    argmax. Non-finite targets make the result None (``nan_in_data`` reports them).

    Example::

        >>> class_labels(np.array([0.0, 2.0, 1.0])).tolist(), class_labels(np.array([0.5]))
        ([0, 2, 1], None)
    """
    if y.ndim == 2 and y.shape[1] > 1:
        if np.issubdtype(y.dtype, np.floating) and not np.isfinite(y).all():
            return None
        return y.argmax(axis=1).astype(np.int64)
    flat = y.reshape(len(y))
    if np.issubdtype(flat.dtype, np.integer) or flat.dtype == bool:
        return flat.astype(np.int64)
    if not np.issubdtype(flat.dtype, np.floating):
        return None
    if not np.isfinite(flat).all() or not np.array_equal(flat, np.round(flat)):
        return None
    return flat.astype(np.int64)
