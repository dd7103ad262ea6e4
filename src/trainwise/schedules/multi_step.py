"""Multi-step decay: multiply the LR by ``gamma`` at each milestone (torch's ``MultiStepLR``)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence


def multi_step_lr(
    step: int,
    *,
    base_lr: float,
    milestones: Sequence[int],
    gamma: float = 0.1,
    steps_per_epoch: int = 1,
) -> float:
    """``base_lr * gamma ** (number of milestones <= epoch)``, ``epoch = step // steps_per_epoch``.

    ``milestones`` must be increasing (ScheduleConfig checks it). The LR at epoch ``m`` is
    already decayed for milestone ``m``, as in torch. ``steps_per_epoch=1`` (default) counts
    milestones in optimizer steps.

    Example::

        >>> [multi_step_lr(e, base_lr=1.0, milestones=[2, 4], gamma=0.1) for e in range(6)]
        [1.0, 1.0, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002]
    """
    return base_lr * gamma ** bisect_right(milestones, step // steps_per_epoch)
