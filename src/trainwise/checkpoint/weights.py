"""Model weights in safetensors: a format that holds only tensors, so loading runs no code."""

from __future__ import annotations

import os
from pathlib import Path

from safetensors.torch import load_file, save_file
from torch import nn

from trainwise.errors import CheckpointError


def save_weights(model: nn.Module, path: str | Path) -> Path:
    """Write ``model.state_dict()`` to ``path`` atomically (temp file, fsync, rename).

    Tied or shared tensors are cloned so safetensors accepts them.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    tmp = path.with_name(path.name + ".tmp")
    save_file(state, str(tmp))
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def load_weights(model: nn.Module, path: str | Path, strict: bool = True) -> nn.Module:
    """Load weights saved by :func:`save_weights` into ``model``."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"weights file {str(path)!r} does not exist")
    try:
        state = load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for corrupt files
        raise CheckpointError(
            f"weights file {str(path)!r} is not a valid safetensors file: {exc}"
        ) from None
    try:
        model.load_state_dict(state, strict=strict)
    except RuntimeError as exc:
        raise CheckpointError(f"weights in {str(path)!r} do not fit the model: {exc}") from None
    return model
