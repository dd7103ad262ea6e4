"""Exponential decay, TensorFlow's ``exponential_decay`` / Keras' ``ExponentialDecay``."""

from __future__ import annotations


def exponential_lr(
    step: int, *, base_lr: float, decay_rate: float, decay_steps: int, staircase: bool = False
) -> float:
    """``base_lr * decay_rate ** (step / decay_steps)``; ``staircase`` floors the exponent, so
    the LR drops by ``decay_rate`` once every ``decay_steps`` steps instead of smoothly.

    ``step`` counts optimizer steps from 0. Arguments are validated by ScheduleConfig.

    Example::

        >>> [round(exponential_lr(s, base_lr=0.1, decay_rate=0.5, decay_steps=2), 6) for s in range(4)]
        [0.1, 0.070711, 0.05, 0.035355]
        >>> [exponential_lr(s, base_lr=0.1, decay_rate=0.5, decay_steps=2, staircase=True) for s in range(4)]
        [0.1, 0.1, 0.05, 0.05]
    """
    exponent = step // decay_steps if staircase else step / decay_steps
    return base_lr * decay_rate**exponent
