"""``zero_grad_missing``: gradients pile up across optimizer steps.

Rule: on a probed step that follows an optimizer step, a watched layer weight's ``.grad``
already holds a non-zero gradient *before* this step's backward adds to it (see
:mod:`~trainwise.doctor.live.loop_watch`), on :attr:`ZeroGradMissing.NEED` (2) such steps and
on more than half of the steps judged. ``optimizer.zero_grad()`` (either ``set_to_none``)
leaves ``None`` or exact zeros there, and gradient accumulation done on purpose zeroes after
each optimizer step, so neither is judged stale; one stale reading is already proof, the
second rules out a one-off (a ``zero_grad`` skipped on one step).

Why it is told apart from ``lr_too_high``: the symptoms are the same (growing steps, a loss
that jumps or diverges, gradients far above their start), but the fix is to clear the
gradients, not to lower the LR or clip; ``lr_too_high`` and ``exploding_gradients`` yield to
this code (:mod:`~trainwise.doctor.precedence`).
"""

from __future__ import annotations

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num


class ZeroGradMissing(LiveRule):
    code = "zero_grad_missing"
    severity = "error"
    every_step = True  # reads the loop watch's readings, which come on probed steps
    NEED = 2
    _state = ("done", "seen")

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0  # readings already judged

    def observe(self, ctx: LiveContext) -> list[Finding]:
        loop = ctx.loop
        if loop is None or len(loop.stale) == self.seen:
            return []
        self.seen = len(loop.stale)
        steps: dict[int, bool] = {}
        for r in loop.stale:
            steps[r["step"]] = steps.get(r["step"], False) or r["held"] > 0
        stale = [s for s, hit in steps.items() if hit]
        if len(stale) < self.NEED or 2 * len(stale) <= len(steps):
            return []
        last = [r for r in loop.stale if r["step"] == stale[-1] and r["held"] > 0][-1]
        ratio = last["held"] / last["fresh"] if last["fresh"] > 0 else float("inf")
        return [
            self.finding(
                ctx,
                f"The gradients pile up across optimizer steps: before the backward of step "
                f"{last['step']}, '{last['param']}'.grad already held a gradient of norm "
                f"{num(last['held'])} ({num(ratio)}x this step's fresh gradient, "
                f"{num(last['fresh'])}) on {len(stale)} of {len(steps)} probed steps, so every "
                "step applies the sum of all earlier gradients: optimizer.zero_grad() is "
                "missing or runs less often than optimizer.step(). This is not a learning-rate "
                "problem.",
                Fix(
                    "call optimizer.zero_grad() once per optimizer step, before loss.backward() "
                    "(not lowering the LR or clipping); to accumulate on purpose, zero right "
                    "after each optimizer.step() and call doctor.step only then"
                ),
                step=stale[0],
                where=last["param"],
                evidence={
                    "stale_steps": stale,
                    "judged_steps": sorted(steps),
                    "held_norm": last["held"],
                    "fresh_norm": last["fresh"],
                },
            )
        ]
