"""Per-epoch factor decay: ``lr * factor ** epoch``, the "multiply by 0.98 every epoch" recipe."""

from __future__ import annotations


def per_epoch_lr(
    step: int, *, base_lr: float, factor: float = 0.98, steps_per_epoch: int = 1
) -> float:
    """``base_lr * factor ** (step // steps_per_epoch)``: constant within an epoch.

    Defaults: factor 0.98, steps_per_epoch 1.

    Example::

        >>> [round(per_epoch_lr(s, base_lr=0.1, steps_per_epoch=2), 6) for s in range(5)]
        [0.1, 0.1, 0.098, 0.098, 0.09604]
    """
    return base_lr * factor ** (step // steps_per_epoch)
