"""Linear decay from ``base_lr`` to ``end_lr``, after an optional linear warmup."""

from __future__ import annotations

from trainwise.schedules.warmup import warmup_lr


def linear_lr(
    step: int, *, base_lr: float, total_steps: int, end_lr: float = 0.0, warmup_steps: int = 0
) -> float:
    """Warmup for ``warmup_steps``, then ``base_lr + (end_lr - base_lr) * t`` with
    ``t = (step - warmup_steps) / (total_steps - warmup_steps)``.

    ``end_lr`` is reached at ``step == total_steps``, one step after the last training step
    (torch's ``LinearLR``/``PolynomialLR`` convention), so no step trains at ``end_lr = 0``;
    later steps stay at ``end_lr``. Defaults: end_lr 0, no warmup.

    Example::

        >>> [round(linear_lr(s, base_lr=0.2, total_steps=4), 6) for s in range(5)]
        [0.2, 0.15, 0.1, 0.05, 0.0]
    """
    if step < warmup_steps:
        return warmup_lr(step, base_lr=base_lr, warmup_steps=warmup_steps)
    t = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return base_lr + (end_lr - base_lr) * t
