"""One-cycle schedule (Smith & Topin 2018) with the exact phases of torch's ``OneCycleLR``."""

from __future__ import annotations

import math


def _cos_anneal(start: float, end: float, pct: float) -> float:
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def one_cycle_lr(
    step: int,
    *,
    base_lr: float,
    total_steps: int,
    max_lr: float | None = None,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> float:
    """Cosine warmup from ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of
    the steps, then cosine annealing to ``max_lr / div_factor / final_div_factor``.

    Same formulas as ``torch.optim.lr_scheduler.OneCycleLR`` (two phases, ``anneal_strategy
    ="cos"``), whose defaults these are; ``max_lr=None`` means ``base_lr`` (the optimizer's lr).
    Unlike torch it does not cycle momentum, and steps past ``total_steps - 1`` stay at the
    final LR instead of raising. Rewritten here as a pure function of the step so that one
    LambdaLR drives every schedule and resume only needs the step.

    Example::

        >>> [round(one_cycle_lr(s, base_lr=1.0, total_steps=10), 6) for s in (0, 2, 9)]
        [0.04, 1.0, 4e-06]
    """
    peak = base_lr if max_lr is None else max_lr
    initial = peak / div_factor
    final = initial / final_div_factor
    warm_end = float(pct_start * total_steps) - 1  # torch's phase boundaries
    last = total_steps - 1
    if step <= warm_end:
        # warm_end == 0 only at step 0: torch divides 0 by 0 there; the limit is the peak
        pct = step / warm_end if warm_end > 0 else 1.0
        return _cos_anneal(initial, peak, pct)
    step = min(step, last)
    return _cos_anneal(peak, final, (step - warm_end) / (last - warm_end))
