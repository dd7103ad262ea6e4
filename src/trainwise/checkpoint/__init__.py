"""Checkpoints that never lose work: atomic, verified, pickle-free (see store.py)."""

from __future__ import annotations

import torch

from trainwise.errors import CheckpointError

MIN_TORCH = (2, 6)


def require_safe_torch(version: str | None = None) -> None:
    """Refuse torch < 2.6: its ``torch.load`` could execute code even with weights_only=True
    (CVE-2025-32434). trainwise itself never calls torch.load; this guards the environment
    that a user's own loading code would run in."""
    v = version or torch.__version__
    try:
        major, minor = (int(p) for p in v.split("+")[0].split(".")[:2])
    except ValueError:
        return  # a development build with an odd version string; nothing to compare
    if (major, minor) < MIN_TORCH:
        raise CheckpointError(
            f"torch {v} is too old: torch.load before 2.6 can execute code from a crafted file "
            "even with weights_only=True; install torch>=2.6"
        )


require_safe_torch()
