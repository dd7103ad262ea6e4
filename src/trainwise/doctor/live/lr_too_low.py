"""``lr_too_low``: every layer moves by a tiny fraction of its size and the loss barely moves.

On probes: the *largest* update/weight ratio over the layer weights is below :attr:`RATIO`
(3e-5, far under the healthy ~1e-3; the layer that moves most decides) and the loss shows no
fall beyond :attr:`MOVE` (1%) of its start or beyond two standard errors of its least-squares
trend (dropout makes single losses noisy), on
:attr:`NEED` (3) probes in a row spanning at least :attr:`SPAN` (8) steps. It stays quiet
while a schedule has decayed the learning rate below half its peak (the end of a cosine or
one-cycle run is slow on purpose), and for parameters that do not move at all (that is
``params_not_updating``).

**Tiny gradients, slow loss** (a loss scaled down, e.g. a mean cross-entropy divided by the
batch size again: SGD then learns batch-size times slower while every update ratio still
looks moderate): the largest update ratio is below :attr:`SLOW` (3e-3), the largest
gradient/weight norm ratio is below :attr:`TINY_GRAD` (1e-2; a fresh net on a loss at its
starting level has 1e-2 to 1: the gradients themselves are small, not just the LR), and the
loss has fallen less than :attr:`SLOW_FALL` (10%) from its start, both in its recent median
and along its trend over the last 64 steps, on :attr:`NEED` probes in a row spanning at least
:attr:`SLOW_SPAN` (32) steps. Adam is scale-free (its steps stay ~lr whatever the loss's
scale), so this fires for SGD-like optimizers only in practice. Whenever the gradients are
that small, the message names the loss's scaling first and raising the LR second.

Why the update ratio alone missed it: with momentum 0.9 the last layer of such a run still
moves ~1.6e-3 of its size per step (the first ~1e-4), above :attr:`RATIO`, and the loss does
fall, slowly (about 3% per 64 steps), beyond the 1% that "barely moves" allows.

**Held down by the scheduler from the start** (a ``LambdaLR`` whose lambda returns an LR,
``lambda e: base_lr * 0.9 ** e``, where LambdaLR multiplies the base LR by what it returns: the
LR is the base LR squared, 0.02 -> 0.0004, from step 0): a scheduler set the param group's
``initial_lr`` (:func:`~trainwise.doctor.live.configured_lr.configured_lr`), the highest LR of
the run so far is below :attr:`HELD` (5%) of it and the LR never rose above :attr:`RISE` (1.5x)
its first probed value (a warm-up rises; ``lr_warmup_never_ends`` judges one that is too
long), the largest update ratio is below :attr:`SLOW` (3e-3) and the loss has fallen less than
:attr:`SLOW_FALL` (10%), on :attr:`NEED` probes in a row spanning at least :attr:`HELD_SPAN`
(16) steps. The message names the schedule: raising ``optimizer.lr`` would be scaled down the
same way. Not ``lr_schedule_collapsed``: that is an LR that trained and then fell; this one
never was at the configured value, so its symptom and its fix (the lambda returns a multiplier
of the base LR, not an LR) are a too-low LR's.

The same still loss with an Adam-family optimizer whose ``eps`` is at least 10x its typical
``sqrt(v_hat)`` (:mod:`~trainwise.doctor.live.adam_eps`) is also a too-small step, whatever the
update ratio: ``eps`` has become the denominator, so the step is ``lr / eps`` times the
gradient; the finding names ``eps`` and the fix is to restore it (1e-8), not to raise the LR.
"""

from __future__ import annotations

import math

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.adam_eps import eps_domination
from trainwise.doctor.live.configured_lr import configured_lr
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num, round_sig
from trainwise.doctor.live.streak import Streak


def gradient_scale(ctx: LiveContext) -> float | None:
    """The largest gradient/weight norm ratio over the probe's layer weights (None without a
    probe or weights): how big the gradients are next to what they move."""
    probe = ctx.probe
    if probe is None:
        return None
    rel = []
    for w in ctx.layout.weights:
        grad, up = probe.grads.get(w), probe.updates.get(w)
        if grad is None or up is None or not up.get("weight"):
            continue
        g = grad.get("norm")
        if g is not None and math.isfinite(g) and g > 0:
            rel.append(g / up["weight"])
    return max(rel) if rel else None


class LrTooLow(LiveRule):
    code = "lr_too_low"
    RATIO = 3e-5
    MOVE = 0.01
    NEED = 3
    SPAN = 8
    TARGET = 1e-3  # the update/weight ratio a suggested learning rate aims at
    SLOW = 3e-3
    TINY_GRAD = 1e-2
    SLOW_FALL = 0.10
    SLOW_SPAN = 32
    HELD = 0.05
    RISE = 1.5
    HELD_SPAN = 16
    _streaks = ("streak", "slow", "held")
    _state = ("done", "first_lr", "rose")

    def __init__(self) -> None:
        super().__init__()
        self.streak = Streak(self.NEED)
        self.slow = Streak(self.NEED)  # the tiny-gradient, slow-loss reading
        self.held = Streak(self.NEED)  # the LR held far below initial_lr from the start
        self.first_lr: float | None = None  # the LR at the first probe
        self.rose = False  # the LR rose past RISE x first_lr: a warm-up, not a held LR

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if self.done or ctx.probe is None:
            return []
        start = ctx.losses.start()
        recent = ctx.losses.recent_median(8)
        ratios = [
            r for r in ctx.probe.update_ratios(ctx.layout.weights).values() if 0 < r < math.inf
        ]
        decayed = ctx.lr is not None and ctx.max_lr and ctx.lr < 0.5 * ctx.max_lr
        trend = ctx.losses.trend(min(64, ctx.step + 1))
        # "barely moves": no fall beyond 1% of the start, or beyond the batch-to-batch noise
        still = trend is None or trend[0] <= max(self.MOVE * abs(start or 0.0), 2 * trend[1])
        ready = bool(ratios and not decayed and start and recent is not None)
        base = ready and still
        eps = None
        if base and max(ratios) >= self.RATIO:
            optimizer = ctx.loop.optimizer if ctx.loop is not None else None
            eps = eps_domination(optimizer, ctx.layout.params)
        hit = base and (max(ratios) < self.RATIO or eps is not None)
        grad = gradient_scale(ctx)
        slow = ready and self._slow(ratios, grad, start, recent, trend)
        conf = self._held_by_schedule(ctx)
        if conf is not None:  # the schedule's doing: its own reading and message, below
            hit = slow = False
        fired = self.streak.update(hit, ctx.step, ctx.epoch)
        if fired and ctx.step - self.streak.since_step >= self.SPAN:
            if eps is not None:
                return [self._eps_finding(ctx, eps, start, recent)]
            return [self._lr_finding(ctx, max(ratios), grad, start, recent, self.streak)]
        if self.slow.update(slow, ctx.step, ctx.epoch):
            if ctx.step - self.slow.since_step >= self.SLOW_SPAN:
                return [self._lr_finding(ctx, max(ratios), grad, start, recent, self.slow)]
        # the decay guard does not apply: this LR never was high, whatever the schedule does now
        low = bool(ratios and start and recent is not None and conf is not None)
        low = low and max(ratios) < self.SLOW
        low = low and recent >= (1 - self.SLOW_FALL) * start
        if self.held.update(low, ctx.step, ctx.epoch):
            if ctx.step - self.held.since_step >= self.HELD_SPAN:
                return [self._held_finding(ctx, conf, max(ratios), start, recent)]
        return []

    def _held_by_schedule(self, ctx: LiveContext) -> float | None:
        """The configured ``initial_lr`` when a scheduler has held every LR of the run so far
        below HELD of it without rising (None otherwise)."""
        if ctx.lr is None or not ctx.max_lr:
            return None
        if self.first_lr is None:
            self.first_lr = ctx.lr
        self.rose = self.rose or ctx.lr > self.RISE * self.first_lr
        conf = configured_lr(ctx.loop.optimizer if ctx.loop is not None else None)
        if self.rose or conf is None or conf[1] != "initial_lr":
            return None
        return conf[0] if ctx.max_lr < self.HELD * conf[0] else None

    def _held_finding(self, ctx, conf: float, top: float, start, recent) -> Finding:
        return self.finding(
            ctx,
            f"The scheduler has held the learning rate at or below {num(ctx.max_lr)} since the "
            f"start, {num(ctx.max_lr / conf)}x the configured {num(conf)} (the param group's "
            f"initial_lr): each step moves the weights by at most {num(top)} of their size "
            f"(healthy is about 0.001) and the loss went only from {num(start)} to "
            f"{num(recent)} over {ctx.step - self.held.since_step} steps. A LambdaLR lambda "
            "that returns a learning rate (base_lr * factor) instead of a factor multiplies "
            "the base LR by itself.",
            Fix(
                "make the scheduler's lambda return a multiplier of the base LR, not an LR "
                "(lambda e: 0.9 ** e, not lambda e: base_lr * 0.9 ** e); raising optimizer.lr "
                "would be scaled down the same way"
            ),
            step=self.held.since_step,
            epoch=self.held.since_epoch,
            evidence={
                "lr": ctx.lr,
                "max_lr": ctx.max_lr,
                "configured_lr": conf,
                "max_update_ratio": top,
                "start_loss": start,
                "recent_loss": recent,
            },
        )

    def _slow(self, ratios, grad, start, recent, trend) -> bool:
        """Small steps because the gradients are tiny, on a loss that falls only slowly."""
        if grad is None or grad >= self.TINY_GRAD or max(ratios) >= self.SLOW:
            return False
        fell = trend[0] if trend is not None else 0.0
        return recent >= (1 - self.SLOW_FALL) * start and fell <= self.SLOW_FALL * abs(start)

    def _lr_finding(self, ctx, top, grad, start, recent, streak: Streak) -> Finding:
        factor = min(1000.0, max(10.0, self.TARGET / top))
        overrides = {"optimizer.lr": round_sig(ctx.lr * factor)} if ctx.lr else {}
        raise_lr = (
            f"raise the learning rate about {num(factor)}x"
            + (f" (to {num(overrides['optimizer.lr'])})" if overrides else "")
            + ", or run an LR range test (trainwise lr-find)"
        )
        tiny = grad is not None and grad < self.TINY_GRAD
        message = (
            f"Each step moves the weights by at most {num(top)} of their size (healthy is "
            f"about 0.001) and the loss went only from {num(start)} to {num(recent)} over "
            f"{ctx.step - streak.since_step} steps."
        )
        if tiny:
            message += (
                f" The gradients themselves are tiny: at most {num(grad)} of the weights' norm "
                "(a net whose loss is still near its start usually has 0.01 to 1), so the "
                "loss's scale, not only the LR, makes the steps small: a loss scaled down (a "
                "mean loss divided by the batch size again, a sum averaged twice, a small "
                "loss weight) looks exactly like this."
            )
            text = (
                "check how the loss is scaled first (use the criterion's mean once; do not "
                "divide it by the batch size again); if the scale is meant, " + raise_lr
            )
        else:
            text = raise_lr
        return self.finding(
            ctx,
            message,
            Fix(text, overrides),
            step=streak.since_step,
            epoch=streak.since_epoch,
            evidence={
                "max_update_ratio": top,
                "max_grad_weight_ratio": grad,
                "start_loss": start,
                "recent_loss": recent,
                "lr": ctx.lr,
            },
        )

    def _eps_finding(self, ctx: LiveContext, eps: dict, start: float, recent: float) -> Finding:
        return self.finding(
            ctx,
            f"{eps['optimizer']}'s eps is {num(eps['eps'])}, {num(eps['eps'] / eps['grad_rms'])}x "
            f"the typical gradient scale sqrt(v_hat) ({num(eps['grad_rms'])}), so it is the "
            f"step's denominator: each step is lr/eps = {num((ctx.lr or 0) / eps['eps'])} times "
            f"the gradient, far too small, and the loss went only from {num(start)} to "
            f"{num(recent)} over {ctx.step - self.streak.since_step} steps.",
            Fix(
                "set the optimizer's eps back to its default 1e-8 (eps only guards the "
                "division; it is not TensorFlow's epsilon-hat), keeping the learning rate",
                {"optimizer.eps": 1e-8},
            ),
            step=self.streak.since_step,
            epoch=self.streak.since_epoch,
            evidence={
                "eps": eps["eps"],
                "grad_rms": eps["grad_rms"],
                "start_loss": start,
                "recent_loss": recent,
                "lr": ctx.lr,
            },
        )
