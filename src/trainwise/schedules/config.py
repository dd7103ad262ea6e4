"""The ``schedule:`` config section (learning-rate schedule)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from trainwise.config.section import Section
from trainwise.vocabulary import canonical

SCHEDULES = (
    "constant",
    "exponential",
    "step",
    "multistep",
    "per_epoch",
    "linear",
    "cosine",
    "onecycle",
)
# other spellings (torch and Keras class names); case, "-", " " and "_" are ignored
_ALIASES = {
    "none": "constant",
    "exponential_decay": "exponential",
    "step_decay": "step",
    "step_lr": "step",
    "multi_step_decay": "multistep",
    "multi_step_lr": "multistep",
    "linear_decay": "linear",
    "cosine_decay": "cosine",
    "cosine_annealing": "cosine",
    "one_cycle_lr": "onecycle",
    "1cycle": "onecycle",
}
_WARMUP_SCHEDULES = ("cosine", "linear")


def _positive(value: float) -> float:
    if not value > 0:
        raise ValueError("must be > 0")
    return value


class ScheduleConfig(Section):
    """Which learning-rate schedule to follow; steps count optimizer steps from 0.

    Fields (defaults in brackets), by schedule:

    - ``name`` ["constant"]: constant | exponential | step | multistep | per_epoch | linear |
      cosine | onecycle (case, "-" and "_" are ignored: "one_cycle", "multi_step",
      "OneCycleLR" work).
    - exponential: ``lr * decay_rate ** (step / decay_steps)``; ``decay_rate`` [0.96] in (0, 1],
      ``decay_steps`` [None = one epoch of steps] >= 1, ``staircase`` [False] floors the exponent.
    - step: ``gamma`` [0.1] in (0, 1] every ``step_size`` [10] (>= 1) ``unit``s.
    - multistep: ``gamma`` at each of ``milestones`` [None; required], increasing integers
      >= 1 in ``unit``s.
    - ``unit`` ["epoch"]: "epoch" or "step", the unit of step_size and milestones.
    - per_epoch: ``lr * factor ** epoch``, ``factor`` [0.98] in (0, 1].
    - linear: from lr down to ``end_lr`` [0.0] (>= 0) over the run.
    - cosine: down to ``min_lr`` [0.0] (>= 0) over the run.
    - ``warmup_steps`` [0] or ``warmup_epochs`` [0.0] (not both, >= 0): linear warmup before a
      linear or cosine decay.
    - onecycle (torch's OneCycleLR): peak ``max_lr`` [None = the optimizer's lr] (> 0) after
      ``pct_start`` [0.3] in (0, 1) of the run; starts at max_lr / ``div_factor`` [25.0] and ends
      at that / ``final_div_factor`` [1e4] (both >= 1).

    Example::

        >>> ScheduleConfig(name="multi_step", milestones=[30, 60], gamma=0.1).name
        'multistep'
    """

    name: str = "constant"
    decay_rate: float = 0.96
    decay_steps: int | None = None
    staircase: bool = False
    gamma: float = 0.1
    step_size: int = 10
    milestones: list[int] | None = None
    unit: Literal["epoch", "step"] = "epoch"
    factor: float = 0.98
    end_lr: float = 0.0
    min_lr: float = 0.0
    warmup_steps: int = 0
    warmup_epochs: float = 0.0
    max_lr: float | None = None
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4

    @field_validator("name", mode="before")
    @classmethod
    def _known_name(cls, value: object) -> object:
        # ConfigError is a ValueError, so pydantic reports it under the field's location.
        return canonical(value, SCHEDULES, _ALIASES, kind="schedule")

    @field_validator("decay_rate", "gamma", "factor")
    @classmethod
    def _decay_factor(cls, value: float) -> float:
        if not 0 < value <= 1:
            raise ValueError("must be in (0, 1]")
        return value

    @field_validator("decay_steps", "step_size")
    @classmethod
    def _at_least_one(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("must be an integer >= 1")
        return value

    @field_validator("milestones")
    @classmethod
    def _increasing(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return value
        if not value or value[0] < 1 or any(b <= a for a, b in zip(value, value[1:])):
            raise ValueError("must be a non-empty list of strictly increasing integers >= 1")
        return value

    @field_validator("end_lr", "min_lr", "warmup_steps", "warmup_epochs")
    @classmethod
    def _non_negative(cls, value: float) -> float:
        if not value >= 0:
            raise ValueError("must be >= 0")
        return value

    @field_validator("max_lr")
    @classmethod
    def _max_lr_positive(cls, value: float | None) -> float | None:
        return value if value is None else _positive(value)

    @field_validator("pct_start")
    @classmethod
    def _open_unit_interval(cls, value: float) -> float:
        if not 0 < value < 1:
            raise ValueError("must be in (0, 1)")
        return value

    @field_validator("div_factor", "final_div_factor")
    @classmethod
    def _at_least_one_float(cls, value: float) -> float:
        if not value >= 1:
            raise ValueError("must be >= 1")
        return value

    @model_validator(mode="after")
    def _options_fit_the_schedule(self) -> ScheduleConfig:
        if self.name == "multistep" and self.milestones is None:
            raise ValueError(
                "name 'multistep' needs milestones, e.g. milestones: [30, 60] (in units of "
                f"{self.unit!r})"
            )
        if self.warmup_steps and self.warmup_epochs:
            raise ValueError(
                f"warmup_steps={self.warmup_steps} and warmup_epochs={self.warmup_epochs}: "
                "give one of them, not both"
            )
        if (self.warmup_steps or self.warmup_epochs) and self.name not in _WARMUP_SCHEDULES:
            raise ValueError(
                f"warmup applies to the {' and '.join(_WARMUP_SCHEDULES)} schedules, not "
                f"{self.name!r} (onecycle has its own warmup: pct_start)"
            )
        return self
