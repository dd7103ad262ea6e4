"""Cosine decay with linear warmup (Loshchilov & Hutter's SGDR without restarts)."""

from __future__ import annotations

import math

from trainwise.schedules.warmup import warmup_lr


def cosine_lr(
    step: int, *, base_lr: float, total_steps: int, warmup_steps: int = 0, min_lr: float = 0.0
) -> float:
    """Warmup for ``warmup_steps``, then ``min_lr + (base_lr - min_lr) * (1 + cos(pi t)) / 2``
    with ``t = (step - warmup_steps) / (total_steps - warmup_steps)``.

    ``min_lr`` is reached at ``step == total_steps`` (torch's ``CosineAnnealingLR`` with
    ``T_max = total_steps``; nanoGPT's ``get_lr``) and held after. Defaults: no warmup,
    min_lr 0.

    Example::

        >>> [round(cosine_lr(s, base_lr=1.0, total_steps=6, warmup_steps=2), 6) for s in range(7)]
        [0.5, 1.0, 1.0, 0.853553, 0.5, 0.146447, 0.0]
    """
    if step < warmup_steps:
        return warmup_lr(step, base_lr=base_lr, warmup_steps=warmup_steps)
    t = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return min_lr + (base_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * t))
