"""Seeding and RNG state capture, so CPU runs repeat to the bit and resume exactly."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and, if present, CUDA) from one integer.

    Example::

        seed_everything(0)
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """A generator that depends only on (seed, epoch): the data order of an epoch is then a pure
    function of both, so a resumed run replays exactly the same order without saving it."""
    g = torch.Generator()
    g.manual_seed((seed * 1_000_003 + epoch * 7_919 + 12_345) % 2**63)
    return g


def rng_state() -> dict[str, Any]:
    """Capture Python, NumPy and torch RNG states (JSON-friendly except the torch tensor)."""
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` captured."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
