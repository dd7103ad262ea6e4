"""``lr_too_low``: every layer moves by a tiny fraction of its size and the loss barely moves.

On probes: the *largest* update/weight ratio over the layer weights is below :attr:`RATIO`
(3e-5, far under the healthy ~1e-3; the layer that moves most decides) and the loss shows no
fall beyond :attr:`MOVE` (1%) of its start or beyond two standard errors of its least-squares
trend (dropout makes single losses noisy), on
:attr:`NEED` (3) probes in a row spanning at least :attr:`SPAN` (8) steps. It stays quiet
while a schedule has decayed the learning rate below half its peak (the end of a cosine or
one-cycle run is slow on purpose), and for parameters that do not move at all (that is
``params_not_updating``).

The same still loss with an Adam-family optimizer whose ``eps`` is at least 10x its typical
``sqrt(v_hat)`` (:mod:`~trainwise.doctor.live.adam_eps`) is also a too-small step, whatever the
update ratio: ``eps`` has become the denominator, so the step is ``lr / eps`` times the
gradient; the finding names ``eps`` and the fix is to restore it (1e-8), not to raise the LR.
"""

from __future__ import annotations

import math

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.adam_eps import eps_domination
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num, round_sig
from trainwise.doctor.live.streak import Streak


class LrTooLow(LiveRule):
    code = "lr_too_low"
    RATIO = 3e-5
    MOVE = 0.01
    NEED = 3
    SPAN = 8
    TARGET = 1e-3  # the update/weight ratio a suggested learning rate aims at
    _streaks = ("streak",)

    def __init__(self) -> None:
        super().__init__()
        self.streak = Streak(self.NEED)

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
        base = bool(ratios and not decayed and start and recent is not None and still)
        eps = None
        if base and max(ratios) >= self.RATIO:
            optimizer = ctx.loop.optimizer if ctx.loop is not None else None
            eps = eps_domination(optimizer, ctx.layout.params)
        hit = base and (max(ratios) < self.RATIO or eps is not None)
        fired = self.streak.update(hit, ctx.step, ctx.epoch)
        if not fired or ctx.step - self.streak.since_step < self.SPAN:
            return []
        if eps is not None:
            return [self._eps_finding(ctx, eps, start, recent)]
        top = max(ratios)
        factor = min(1000.0, max(10.0, self.TARGET / top))
        overrides = {"optimizer.lr": round_sig(ctx.lr * factor)} if ctx.lr else {}
        return [
            self.finding(
                ctx,
                f"Each step moves the weights by at most {num(top)} of their size (healthy is "
                f"about 0.001) and the loss went only from {num(start)} to {num(recent)} over "
                f"{ctx.step - self.streak.since_step} steps.",
                Fix(
                    f"raise the learning rate about {num(factor)}x"
                    + (f" (to {num(overrides['optimizer.lr'])})" if overrides else "")
                    + ", or run an LR range test (trainwise lr-find)",
                    overrides,
                ),
                step=self.streak.since_step,
                epoch=self.streak.since_epoch,
                evidence={
                    "max_update_ratio": top,
                    "start_loss": start,
                    "recent_loss": recent,
                    "lr": ctx.lr,
                },
            )
        ]

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
