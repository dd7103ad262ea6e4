"""Split a nested state (dicts, lists, tuples, tensors, NumPy arrays, numbers) into tensors
for safetensors and a JSON tree that refers to them, and back.

Why by hand: safetensors stores flat ``name -> tensor`` maps and JSON cannot hold tensors or
tuples; torch's own format is pickle, which can run code on load. Tuples matter (Python's RNG
state must come back as tuples), so they are tagged. Cost: one walk over the state.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from trainwise.errors import CheckpointError

_TENSOR, _NDARRAY, _TUPLE, _INTKEYS = "__tensor__", "__ndarray__", "__tuple__", "__intkeys__"


def encode(obj: Any, tensors: dict[str, torch.Tensor], prefix: str = "") -> Any:
    """Return a JSON-able tree; tensors go into ``tensors`` under unique keys."""
    if isinstance(obj, torch.Tensor):
        key = prefix or f"t{len(tensors)}"
        while key in tensors:
            key += "_"
        tensors[key] = obj.detach().cpu().contiguous().clone()
        return {_TENSOR: key}
    if isinstance(obj, np.ndarray):
        key = prefix or f"a{len(tensors)}"
        arr = obj.astype(np.int64) if obj.dtype.kind in "ui" else obj
        tensors[key] = torch.from_numpy(np.ascontiguousarray(arr)).clone()
        return {_NDARRAY: key, "dtype": str(obj.dtype)}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        int_keys = bool(obj) and all(isinstance(k, int) for k in obj)
        out = {
            str(k): encode(v, tensors, f"{prefix}.{k}" if prefix else str(k))
            for k, v in obj.items()
        }
        return {_INTKEYS: out} if int_keys else out
    if isinstance(obj, tuple):
        return {_TUPLE: [encode(v, tensors, f"{prefix}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [encode(v, tensors, f"{prefix}.{i}") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise CheckpointError(f"cannot store {type(obj).__name__} at {prefix!r} in a checkpoint")


def decode(tree: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of :func:`encode`."""
    if isinstance(tree, dict):
        if _TENSOR in tree:
            return _lookup(tensors, tree[_TENSOR])
        if _NDARRAY in tree:
            return _lookup(tensors, tree[_NDARRAY]).numpy().astype(tree["dtype"])
        if _TUPLE in tree:
            return tuple(decode(v, tensors) for v in tree[_TUPLE])
        if _INTKEYS in tree:
            return {int(k): decode(v, tensors) for k, v in tree[_INTKEYS].items()}
        return {k: decode(v, tensors) for k, v in tree.items()}
    if isinstance(tree, list):
        return [decode(v, tensors) for v in tree]
    return tree


def _lookup(tensors: dict[str, torch.Tensor], key: str) -> torch.Tensor:
    if key not in tensors:
        raise CheckpointError(f"checkpoint refers to tensor {key!r} that its tensor file lacks")
    return tensors[key]
