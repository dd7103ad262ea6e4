"""``optimizer_not_stepping``: gradients arrive but the optimizer never applies them.

Rule: the optimizer the doctor was given has taken 0 steps since the doctor was made (counted
by a step post-hook, see :mod:`~trainwise.doctor.live.loop_watch`), while on
:attr:`OptimizerNotStepping.NEED` (3) probes in a row some parameter has a finite non-zero
gradient and no parameter changed at all (update norm exactly 0). The three facts together
rule out the look-alikes: a tiny LR still changes weights (``lr_too_low``); a detached loss
leaves no gradient (``params_not_updating``); fp16 loss scaling skips steps whose gradients
are not finite; an optimizer the loop steps but the doctor was not given changes weights.
"""

from __future__ import annotations

import math

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num


class OptimizerNotStepping(LiveRule):
    code = "optimizer_not_stepping"
    severity = "error"
    NEED = 3
    _state = ("done", "run", "since")

    def __init__(self) -> None:
        super().__init__()
        self.run = 0
        self.since: int | None = None

    def observe(self, ctx: LiveContext) -> list[Finding]:
        loop, probe = ctx.loop, ctx.probe
        if loop is None or probe is None or loop.opt_steps is None:
            return []
        norms = [g["norm"] for g in probe.grads.values() if g["status"] == "ok"]
        has_grad = bool(norms) and all(math.isfinite(n) for n in norms)
        still = bool(probe.updates) and all(u["update"] == 0.0 for u in probe.updates.values())
        if loop.opt_steps > 0 or not (has_grad and still):
            self.run, self.since = 0, None
            return []
        self.run += 1
        self.since = ctx.step if self.since is None else self.since
        if self.run < self.NEED:
            return []
        grad = math.sqrt(sum(n * n for n in norms))
        return [
            self.finding(
                ctx,
                f"optimizer.step() is never called: after {ctx.step + 1} training steps the "
                f"optimizer ({type(loop.optimizer).__name__}) has taken 0 steps, although "
                f"the gradients are there (norm {num(grad)}) and no weight changed on "
                f"{self.run} probes in a row.",
                Fix(
                    "call optimizer.step() after loss.backward() in every iteration (then "
                    "doctor.step), and make sure it is the optimizer built from this model"
                ),
                step=self.since,
                evidence={"optimizer_steps": 0, "steps": ctx.step + 1, "grad_norm": grad},
            )
        ]
