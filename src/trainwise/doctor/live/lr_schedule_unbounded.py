"""``lr_schedule_unbounded``: a schedule keeps raising the learning rate past its configured
value (a warm-up factor ``step / warmup`` never capped at 1), so the LR grows all run until
training diverges.

Rule (every step, on the first param group's LR; host-side floats, no device read): with the
configured LR ``c`` (:func:`~trainwise.doctor.live.configured_lr.configured_lr`: ``initial_lr``
of a torch scheduler, else the optimizer's ``lr``), the LR

- started its current rise at or below ``c`` and has not fallen since (any fall ends the rise:
  a warm-up followed by a decay never counts);
- passed ``c`` and is now at least :data:`FACTOR` (3) x ``c``;
- has kept rising above ``c`` for at least :data:`MIN_STEPS` (32) steps and as many steps as
  it took to reach ``c``, with at least :data:`MIN_RISES` (8) separate increases (one jump
  set by hand is not a schedule);
- with the planned length known (``total_steps``), has been rising for at least
  :data:`RISE_SHARE` (half) of it: a one-cycle schedule written as a ``LambdaLR`` (trainwise's
  own ``onecycle`` with a ``max_lr`` above the optimizer's LR) rises past ``initial_lr`` on
  purpose, but only for its ``pct_start`` (0.3) of the run.

Silent for a cyclic schedule (``OneCycleLR``, ``CyclicLR``: they leave ``max_lr`` or
``max_momentum`` in the group and rise past ``initial_lr`` on purpose), and for an LR that
never goes above the configured value (a capped warm-up, cosine, warm restarts).
"""

from __future__ import annotations

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.configured_lr import configured_lr, cyclic_schedule
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num

FACTOR = 3.0
MIN_STEPS = 32
MIN_RISES = 8
RISE_SHARE = 0.5


class LrScheduleUnbounded(LiveRule):
    code = "lr_schedule_unbounded"
    every_step = True
    _state = ("done", "prev", "rise_from", "rise_lr", "crossed", "crossed_epoch", "rises")

    def __init__(self) -> None:
        super().__init__()
        self.prev: float | None = None
        self.rise_from: int | None = None  # first step of the current stretch without a fall
        self.rise_lr: float | None = None  # the LR at that step
        self.crossed: int | None = None  # step the LR passed the configured value in it
        self.crossed_epoch: int | None = None
        self.rises = 0  # increases since ``crossed``

    def observe(self, ctx: LiveContext) -> list[Finding]:
        lr = ctx.lr
        optimizer = ctx.loop.optimizer if ctx.loop is not None else None
        conf = configured_lr(optimizer)
        if lr is None or conf is None or cyclic_schedule(optimizer):
            return []
        c, source = conf
        if self.prev is None or lr < self.prev:
            self.rise_from, self.rise_lr, self.crossed, self.rises = ctx.step, lr, None, 0
        elif lr > self.prev and self.crossed is not None:
            self.rises += 1
        self.prev = lr
        if self.crossed is None and lr > c and self.rise_lr <= c:
            self.crossed, self.crossed_epoch = ctx.step, ctx.epoch
        if self.crossed is None or lr < FACTOR * c or self.rises < MIN_RISES:
            return []
        above = ctx.step - self.crossed
        if above < max(MIN_STEPS, self.crossed - self.rise_from):
            return []
        if ctx.total_steps and ctx.step - self.rise_from < RISE_SHARE * ctx.total_steps:
            return []
        return [
            self.finding(
                ctx,
                f"The learning-rate schedule keeps raising the LR past its configured value "
                f"{num(c)} ({source}): it passed it at step {self.crossed} and is now "
                f"{num(lr)} ({num(lr / c)}x) at step {ctx.step}, after {self.rises} more "
                f"increases and not one fall since step {self.rise_from}; a warm-up factor "
                "never capped at 1 (LambdaLR(lambda step: step / warmup)) grows the LR for the "
                "whole run, until the steps are too large and training diverges.",
                Fix(
                    "cap the warm-up factor at 1: LambdaLR(optimizer, lambda step: "
                    "min(1.0, step / warmup)), then hold or decay it (e.g. cosine); the LR "
                    "should never exceed the value given to the optimizer"
                ),
                step=self.crossed,
                epoch=self.crossed_epoch,
                evidence={
                    "configured_lr": c,
                    "configured_from": source,
                    "lr": lr,
                    "factor": lr / c,
                    "crossed_at": self.crossed,
                    "rising_since": self.rise_from,
                    "increases": self.rises,
                },
            )
        ]
