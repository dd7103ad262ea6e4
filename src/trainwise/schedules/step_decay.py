"""Step decay: multiply the LR by ``gamma`` every ``step_size`` epochs (torch's ``StepLR``)."""

from __future__ import annotations


def step_decay_lr(
    step: int, *, base_lr: float, step_size: int, gamma: float = 0.1, steps_per_epoch: int = 1
) -> float:
    """``base_lr * gamma ** (epoch // step_size)`` with ``epoch = step // steps_per_epoch``.

    Pass ``steps_per_epoch=1`` to count ``step_size`` in optimizer steps instead of epochs.
    Defaults: gamma 0.1, steps_per_epoch 1.

    Example::

        >>> [step_decay_lr(s, base_lr=1.0, step_size=2, gamma=0.5) for s in range(5)]
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    epoch = step // steps_per_epoch
    return base_lr * gamma ** (epoch // step_size)
