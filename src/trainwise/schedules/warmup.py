"""Linear warmup, the first phase of the cosine and linear schedules."""

from __future__ import annotations


def warmup_lr(step: int, *, base_lr: float, warmup_steps: int) -> float:
    """``base_lr * (step + 1) / warmup_steps`` while ``step < warmup_steps``, then ``base_lr``.

    Starting at ``base_lr / warmup_steps`` rather than 0 means no optimizer step is wasted at
    LR 0, and the peak is reached on the last warmup step.

    Example::

        >>> [warmup_lr(s, base_lr=1.0, warmup_steps=4) for s in range(5)]
        [0.25, 0.5, 0.75, 1.0, 1.0]
    """
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    return base_lr
