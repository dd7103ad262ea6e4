"""Constant learning rate."""

from __future__ import annotations


def constant_lr(step: int, *, base_lr: float) -> float:
    """``base_lr`` at every step.

    Example::

        >>> constant_lr(10, base_lr=0.1)
        0.1
    """
    return base_lr
