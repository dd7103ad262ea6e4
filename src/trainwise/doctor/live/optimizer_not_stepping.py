"""``optimizer_not_stepping``: gradients arrive but the optimizer never applies them.

Two ways, each seen on :attr:`OptimizerNotStepping.NEED` (3) probes in a row on which no
parameter changed at all (update norm exactly 0):

- **never stepped**: the optimizer the doctor was given has taken 0 steps since the doctor
  was made (counted by a step post-hook, see :mod:`~trainwise.doctor.live.loop_watch`) while
  some parameter holds a finite non-zero gradient, and that after more than
  :data:`MAX_ACCUMULATION` (64) calls of ``doctor.step`` or a whole epoch. Gradient
  accumulation done on purpose (``optimizer.step()`` every k micro-batches, ``doctor.step``
  after each) also shows still weights and no optimizer step for k - 1 calls in a row; it steps
  within an epoch and within 64 micro-batches, so it is never judged.
- **gradients cleared before the step**: the optimizer *is* stepping (its count grew during
  the streak) but at ``doctor.step`` no parameter holds a gradient (``None`` or exact zeros)
  and still nothing changed: ``optimizer.zero_grad()`` runs between ``loss.backward()`` and
  ``optimizer.step()``, so every step applies nothing. (``zero_grad()`` *after* the step, then
  ``doctor.step``, is a correct loop: its weights change.) The backward did produce a gradient
  (the loop watch's gradient hook saw it) big enough that ``lr`` times it is at least
  :data:`VISIBLE` (1e-5) of the weight, so the step could not have rounded to nothing in
  float32. Not when the loss's graph reaches no parameter: that is ``params_not_updating``'s
  "no path".

The facts together rule out the look-alikes: a tiny LR still changes weights (``lr_too_low``);
a detached loss leaves no gradient (``params_not_updating``); fp16 loss scaling skips steps
whose gradients are not finite; an optimizer the loop steps but the doctor was not given
changes weights.
"""

from __future__ import annotations

import math

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num

#: the most micro-batches a deliberate gradient accumulation is assumed to span
MAX_ACCUMULATION = 64
#: lr * |fresh gradient| / |weight| at least this: a step that size cannot round to nothing
VISIBLE = 1e-5


class OptimizerNotStepping(LiveRule):
    code = "optimizer_not_stepping"
    severity = "error"
    NEED = 3
    _state = ("done", "run", "since", "cleared", "cleared_since", "opt_at")

    def __init__(self) -> None:
        super().__init__()
        self.run = 0
        self.since: int | None = None
        self.cleared = 0  # probes in a row: optimizer stepping, no gradient, nothing changed
        self.cleared_since: int | None = None
        self.opt_at: int | None = None  # optimizer steps counted at the cleared streak's start

    def observe(self, ctx: LiveContext) -> list[Finding]:
        loop, probe = ctx.loop, ctx.probe
        if loop is None or probe is None or loop.opt_steps is None:
            return []
        still = bool(probe.updates) and all(u["update"] == 0.0 for u in probe.updates.values())
        found = self._never_stepped(ctx, still)
        return found or self._cleared_before_step(ctx, still)

    def _never_stepped(self, ctx: LiveContext, still: bool) -> list[Finding]:
        loop, probe = ctx.loop, ctx.probe
        norms = [g["norm"] for g in probe.grads.values() if g["status"] == "ok"]
        has_grad = bool(norms) and all(math.isfinite(n) for n in norms)
        if loop.opt_steps > 0 or not (has_grad and still):
            self.run, self.since = 0, None
            return []
        self.run += 1
        self.since = ctx.step if self.since is None else self.since
        # an accumulating loop steps within an epoch and within MAX_ACCUMULATION calls
        waited = ctx.epoch >= 1 or ctx.step + 1 > MAX_ACCUMULATION
        if self.run < self.NEED or not waited:
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

    def _cleared_before_step(self, ctx: LiveContext, still: bool) -> list[Finding]:
        loop, probe = ctx.loop, ctx.probe
        no_grad = bool(probe.grads) and all(
            g["status"] in ("none", "zero") for g in probe.grads.values()
        )
        graph = loop.graph
        reaches = graph is None or graph.params_reached > 0
        if not (still and no_grad and reaches and loop.opt_steps > 0 and _visible(ctx)):
            self.cleared, self.cleared_since, self.opt_at = 0, None, None
            return []
        if self.cleared == 0:
            self.cleared_since, self.opt_at = ctx.step, loop.opt_steps
        self.cleared += 1
        stepped = loop.opt_steps - (self.opt_at or 0)
        if self.cleared < self.NEED or stepped < 1:
            return []
        return [
            self.finding(
                ctx,
                f"optimizer.step() runs ({loop.opt_steps} steps so far) but applies nothing: "
                f"at every probed step after it no parameter holds a gradient and no weight "
                f"changed ({self.cleared} probes in a row), so the gradients are cleared "
                "between loss.backward() and optimizer.step(), e.g. optimizer.zero_grad() "
                "placed after backward().",
                Fix(
                    "call optimizer.zero_grad() before loss.backward() (or right after "
                    "optimizer.step()), never between backward() and step()"
                ),
                step=self.cleared_since,
                evidence={
                    "optimizer_steps": loop.opt_steps,
                    "steps": ctx.step + 1,
                    "grads_at_step": "none",
                    "probes": self.cleared,
                },
            )
        ]


def _visible(ctx: LiveContext) -> bool:
    """True when this step's backward gave a watched weight a gradient whose plain SGD step,
    ``lr * |g|``, is at least :data:`VISIBLE` of the weight (Adam's steps are larger still)."""
    lr = ctx.lr or 0.0
    for r in ctx.loop.stale:
        if r["step"] != ctx.step:
            continue
        up = ctx.probe.updates.get(r["param"])
        if up is not None and up["weight"] > 0 and lr * r["fresh"] >= VISIBLE * up["weight"]:
            return True
    return False
