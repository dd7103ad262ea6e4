"""Turn a :class:`~trainwise.schedules.config.ScheduleConfig` into a ``LambdaLR`` or a table."""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from torch.optim.lr_scheduler import LambdaLR

from trainwise.errors import ArgumentTypeError, ConfigError
from trainwise.schedules.config import ScheduleConfig
from trainwise.schedules.constant import constant_lr
from trainwise.schedules.cosine import cosine_lr
from trainwise.schedules.exponential import exponential_lr
from trainwise.schedules.linear import linear_lr
from trainwise.schedules.multi_step import multi_step_lr
from trainwise.schedules.one_cycle import one_cycle_lr
from trainwise.schedules.per_epoch import per_epoch_lr
from trainwise.schedules.step_decay import step_decay_lr

#: ``lr_fn(step, base_lr) -> lr``
LRFunction = Callable[..., float]


def schedule_fn(cfg: ScheduleConfig | None, *, steps_per_epoch: int, epochs: int) -> LRFunction:
    """The schedule as a pure function ``lr_fn(step, base_lr=...) -> float`` for this run.

    Checks what needs the run's length (e.g. warmup shorter than the run) and raises
    ConfigError naming the field.

    Example::

        >>> fn = schedule_fn(ScheduleConfig(name="step", step_size=1, gamma=0.5),
        ...                  steps_per_epoch=2, epochs=3)
        >>> [fn(s, base_lr=1.0) for s in range(6)]
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """
    cfg = cfg or ScheduleConfig()
    for field, value in (("steps_per_epoch", steps_per_epoch), ("epochs", epochs)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{field}: {value!r} is not allowed; must be an integer >= 1")
    total = steps_per_epoch * epochs
    per = steps_per_epoch if cfg.unit == "epoch" else 1  # steps per unit of step_size/milestones
    name, p = cfg.name, functools.partial
    if name == "constant":
        return constant_lr
    if name == "exponential":
        decay_steps = cfg.decay_steps or steps_per_epoch
        return p(
            exponential_lr,
            decay_rate=cfg.decay_rate,
            decay_steps=decay_steps,
            staircase=cfg.staircase,
        )
    if name == "step":
        return p(step_decay_lr, step_size=cfg.step_size, gamma=cfg.gamma, steps_per_epoch=per)
    if name == "multistep":
        return p(
            multi_step_lr, milestones=tuple(cfg.milestones), gamma=cfg.gamma, steps_per_epoch=per
        )
    if name == "per_epoch":
        return p(per_epoch_lr, factor=cfg.factor, steps_per_epoch=steps_per_epoch)
    if name == "onecycle":
        return p(
            one_cycle_lr,
            total_steps=total,
            max_lr=cfg.max_lr,
            pct_start=cfg.pct_start,
            div_factor=cfg.div_factor,
            final_div_factor=cfg.final_div_factor,
        )
    warmup = cfg.warmup_steps or round(cfg.warmup_epochs * steps_per_epoch)
    if warmup >= total:
        field = "warmup_steps" if cfg.warmup_steps else "warmup_epochs"
        raise ConfigError(
            f"schedule.{field}: {getattr(cfg, field)!r} is not allowed; the warmup "
            f"({warmup} steps) must be shorter than the run ({total} optimizer steps = "
            f"{epochs} epochs x {steps_per_epoch} steps)"
        )
    if name == "linear":
        return p(linear_lr, total_steps=total, end_lr=cfg.end_lr, warmup_steps=warmup)
    return p(cosine_lr, total_steps=total, warmup_steps=warmup, min_lr=cfg.min_lr)


def build_scheduler(
    cfg: ScheduleConfig | None,
    optimizer: torch.optim.Optimizer,
    *,
    steps_per_epoch: int,
    epochs: int,
) -> LambdaLR:
    """A ``LambdaLR`` that gives every param group ``lr_fn(step, base_lr=its lr)``.

    Call ``scheduler.step()`` once per optimizer step. The multiplier is
    ``lr_fn(step, base_lr=b) / b`` with ``b`` each group's lr at build time, so groups with
    different lrs keep their ratio and absolute settings (min_lr, end_lr, max_lr) hold for
    ``b``. The lambdas are plain functions, so ``state_dict()`` holds only numbers
    (``last_epoch``, ``base_lrs``...) and ``load_state_dict`` resumes exactly. Building sets
    the optimizer's lr to the step-0 value.

    Example::

        >>> model = torch.nn.Linear(2, 1)
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> sched = build_scheduler(ScheduleConfig(name="per_epoch", factor=0.5), opt,
        ...                         steps_per_epoch=1, epochs=3)
        >>> opt.step(); sched.step(); opt.param_groups[0]["lr"]
        0.05
    """
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ArgumentTypeError(
            f"optimizer: expected a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    fn = schedule_fn(cfg, steps_per_epoch=steps_per_epoch, epochs=epochs)
    lambdas = [
        _multiplier(fn, group.get("initial_lr", group["lr"])) for group in optimizer.param_groups
    ]
    return LambdaLR(optimizer, lambdas)


def _multiplier(fn: LRFunction, base_lr: float) -> Callable[[int], float]:
    # A nested def (not a partial or a class) so LambdaLR.state_dict stores None for it and a
    # checkpoint of the scheduler is plain numbers.
    def multiplier(step: int) -> float:
        return fn(step, base_lr=base_lr) / base_lr

    return multiplier


def lr_table(
    cfg: ScheduleConfig | None, base_lr: float, steps_per_epoch: int, epochs: int
) -> list[float]:
    """The lr of every optimizer step of the run (``epochs * steps_per_epoch`` values).

    Example::

        >>> lr_table(ScheduleConfig(name="linear"), 0.2, steps_per_epoch=2, epochs=2)
        [0.2, 0.15000000000000002, 0.1, 0.04999999999999999]
    """
    if not base_lr > 0:
        raise ConfigError(f"optimizer.lr: {base_lr!r} is not allowed; must be > 0")
    fn = schedule_fn(cfg, steps_per_epoch=steps_per_epoch, epochs=epochs)
    return [fn(step, base_lr=base_lr) for step in range(steps_per_epoch * epochs)]
