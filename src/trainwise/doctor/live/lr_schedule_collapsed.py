"""``lr_schedule_collapsed``: a learning-rate schedule drove the LR to about zero long before
the run ends.

Rule (every step, on the first param group's LR): the LR fell below :data:`FLOOR` (1e-3) of
the highest LR seen so far (a warm-up that starts near 0 never counts: its peak comes later)
and stayed below it

- for at least :data:`MIN_STEPS` (16) steps and half as many steps as the run took to get
  there, i.e. a third of the run so far at an LR that no longer trains; or
- when the planned length is known (``total_steps``): for at least 16 steps and a tenth of the
  steps before it, having fallen within the first half of the plan.

Why these bounds: the schedules that end at about zero on purpose (cosine or linear to 0,
one-cycle, step decays at 30/60/90% of the run) cross 1e-3 of their peak only in the last
~10% of the plan, and restart-type schedules (SGDR) stay below it for ~2% of a cycle; a
scheduler meant per epoch but stepped per batch crosses it within an epoch or two and stays.

The message counts the LR's changes per step before the collapse: one every few steps is a
per-epoch scheduler (``StepLR``, ``ExponentialLR``, ``MultiStepLR``) stepped every batch.
"""

from __future__ import annotations

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num

FLOOR = 1e-3
MIN_STEPS = 16
#: LR changes per step above which the scheduler is read as stepped every batch
PER_BATCH = 0.2


class LrScheduleCollapsed(LiveRule):
    code = "lr_schedule_collapsed"
    every_step = True
    _state = ("done", "peak", "prev", "changes", "since", "first_step")

    def __init__(self) -> None:
        super().__init__()
        self.peak = 0.0
        self.prev: float | None = None
        self.changes = 0  # LR changes before the collapse
        self.since: int | None = None  # first step of the current stretch below the floor
        self.first_step: int | None = None

    def observe(self, ctx: LiveContext) -> list[Finding]:
        lr = ctx.lr
        if lr is None:
            return []
        if self.first_step is None:
            self.first_step = ctx.step
        if self.prev is not None and lr != self.prev and self.since is None:
            self.changes += 1
        self.prev = lr
        self.peak = max(self.peak, lr)
        if not (self.peak > 0 and lr < FLOOR * self.peak):
            self.since = None
            return []
        if self.since is None:
            self.since = ctx.step
        before = self.since - self.first_step
        stayed = ctx.step - self.since + 1
        planned = ctx.total_steps is not None and before < 0.5 * ctx.total_steps
        long = stayed >= max(MIN_STEPS, 0.5 * before)
        if not (long or (planned and stayed >= max(MIN_STEPS, 0.1 * before))):
            return []
        rate = self.changes / max(before, 1)
        why = (
            f"it changed {self.changes} times in the {before} steps before that (about every "
            f"{num(1 / rate)} steps): a per-epoch scheduler (StepLR, ExponentialLR, "
            "MultiStepLR) stepped every batch, so its step_size/gamma act per batch"
            if rate >= PER_BATCH
            else f"the schedule decays it too fast ({self.changes} changes in {before} steps)"
        )
        return [
            self.finding(
                ctx,
                f"The learning-rate schedule collapsed the LR: from its peak {num(self.peak)} "
                f"to {num(lr)} (below {FLOOR:g} of the peak) at step {self.since}, and it has "
                f"stayed there for {stayed} steps, so the weights have almost stopped moving; "
                f"{why}.",
                Fix(
                    "call scheduler.step() once per epoch, after the batch loop (or give a "
                    "per-step scheduler its step_size/T_max in optimizer steps); the LR should "
                    "stay within 1e-3 of its peak until the last part of the run"
                ),
                step=self.since,
                evidence={
                    "peak_lr": self.peak,
                    "lr": lr,
                    "collapsed_at": self.since,
                    "steps_collapsed": stayed,
                    "lr_changes": self.changes,
                    "steps_before": before,
                },
            )
        ]
