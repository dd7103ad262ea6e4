"""``exploding_gradients``: gradients grow by orders of magnitude across steps or layers, or
dwarf the weights they update.

Three signatures, each relative to the run itself and persistent:

- across steps: the global gradient norm is at least :attr:`GROWTH` (100x) the smallest of
  the run's first three probes and at least as large as the weights (median over layers of
  ``||grad|| / ||weight||`` >= 1), on :attr:`NEED_GROWTH` (2) probes in a row (or on one, when
  the loss turns non-finite right after), while the loss is not below :attr:`LOSS_GATE` (half)
  of its start: gradients that grow while the loss keeps falling are not blowing up.
- across layers: the first layer's gradient (RMS per element, divided by the input RMS so an
  input scale alone does not count) is at least :attr:`LAYER_RATIO` (1000x) the last layer's,
  on :attr:`NEED_LAYER` (3) probes in a row: a healthy net stays within ~10x either way.
- in size: the median over layer weights of ``||grad|| / ||weight||`` (taken before the
  update) is at least :attr:`GRAD_WEIGHT` (100) while the step really moved the weights by at
  least their own size (median update/weight ratio >= 1: Adam-like optimizers normalize huge
  gradients away, and nothing blows up), on :attr:`NEED_SCALE` (2) probes in a row, or on one
  when the loss turns non-finite right after. A healthy net sits around 1e-3..1; 100 means a
  plain SGD step with lr 0.01 replaces every weight. This is the signature of a too-large
  init in a deep plain net, whose gradients are huge from the first step, so "growth over
  the first probes" has no clean start to grow from.

A non-finite gradient norm while the loss is still finite also fires at once. A too-large
init in a plain ReLU net does *not* show across layers: activations grow forward as fast as
gradients grow backward, so each layer's weight gradient is alike; it shows in the global
norm growing step after step once the learning rate amplifies it.
"""

from __future__ import annotations

import math
import statistics

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num
from trainwise.doctor.live.streak import Streak


def adjusted_layer_ratio(
    ctx: LiveContext, skip: set[str] | frozenset = frozenset()
) -> tuple[float, str, str] | None:
    """First/last layer gradient RMS ratio of this probe over the layer weights not in
    ``skip``, divided by the input RMS when the inputs are known (the first layer's gradient
    scales with its input)."""
    weights = [w for w in ctx.layout.weights if w not in skip]
    r = ctx.probe.layer_ratio(weights) if ctx.probe else None
    if r is None:
        return None
    scale = ctx.probe.input_rms
    ratio = r[0] / scale if scale and scale > 0 else r[0]
    return ratio, r[1], r[2]


class ExplodingGradients(LiveRule):
    code = "exploding_gradients"
    GROWTH = 100.0
    NEED_GROWTH = 2
    LOSS_GATE = 0.5
    LAYER_RATIO = 1e3
    NEED_LAYER = 3
    GRAD_WEIGHT = 100.0
    NEED_SCALE = 2
    _streaks = ("growth", "layers", "scale")
    _state = ("done", "early", "last_growth", "last_scale")
    every_step = True  # only to see the step on which the loss turns non-finite

    def __init__(self) -> None:
        super().__init__()
        self.early: list[float] = []  # global grad norms of the first probes
        self.growth = Streak(self.NEED_GROWTH)
        self.layers = Streak(self.NEED_LAYER)
        self.last_growth = 0.0  # the last probe's global grad norm over the early one
        self.scale = Streak(self.NEED_SCALE)
        self.last_scale = 0.0  # the last probe's median ||grad|| / ||weight||

    @staticmethod
    def _fix() -> Fix:
        return Fix(
            "clip the gradient norm, add batch normalization, use a smaller init or a lower "
            "learning rate",
            {"training.grad_clip_norm": 1.0, "model.norm": "batch"},
        )

    def _growth_before_nan(self, ctx: LiveContext) -> list[Finding]:
        """The loss went non-finite while the gradient norm was already >= GROWTH x its start,
        or already >= GRAD_WEIGHT x the weights."""
        if self.scale.count >= 1:
            return [self._scale_finding(ctx, f" before the loss became {ctx.loss}")]
        if self.growth.count < 1:
            return []
        return [
            self.finding(
                ctx,
                f"The gradient norm had grown {num(self.last_growth)}x over its start "
                f"(from step {self.growth.since_step}) before the loss became {ctx.loss} at "
                f"step {ctx.step}.",
                self._fix(),
                step=self.growth.since_step,
                epoch=self.growth.since_epoch,
                evidence={"growth": self.last_growth, "start_grad_norm": min(self.early)},
            )
        ]

    def _scale_finding(self, ctx: LiveContext, then: str = "") -> Finding:
        return self.finding(
            ctx,
            f"The gradients are {num(self.last_scale)}x the size of the weights they update "
            f"(median over layers, from step {self.scale.since_step}; healthy is below 1)"
            f"{then}: any step larger than {num(1 / self.last_scale)} of the gradient throws "
            "the weights away.",
            self._fix(),
            step=self.scale.since_step,
            epoch=self.scale.since_epoch,
            evidence={"grad_weight_ratio": self.last_scale, "threshold": self.GRAD_WEIGHT},
        )

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if self.done:
            return []
        if not math.isfinite(ctx.loss):
            return self._growth_before_nan(ctx)
        if ctx.probe is None:
            return []
        fix = self._fix()
        # over the parameters the optimizer holds: a frozen-by-mistake layer's gradient can
        # grow without bound while nothing blows up (that is params_not_updating)
        skip = set(ctx.layout.not_in_optimizer)
        total = ctx.probe.total_grad_norm(skip)
        if not math.isfinite(total):
            bad = [n for n, g in ctx.probe.grads.items() if not math.isfinite(g["norm"])]
            return [
                self.finding(
                    ctx,
                    f"Gradients became non-finite at step {ctx.step} while the loss was still "
                    f"{num(ctx.loss)} ({len(bad)} parameters, e.g. '{bad[0]}').",
                    fix,
                    where=ctx.layout.module_of(bad[0]),
                    evidence={"nonfinite_grads": bad[:10], "loss": ctx.loss},
                    severity="error",
                )
            ]
        sizes = [
            ctx.probe.grads[w]["norm"] / ctx.probe.updates[w]["weight"]
            for w in ctx.layout.weights
            if w in ctx.probe.grads
            and w in ctx.probe.updates
            and ctx.probe.grads[w].get("status") == "ok"
            and ctx.probe.updates[w]["weight"] > 0
        ]
        self.last_scale = statistics.median(sizes) if sizes else 0.0
        moved = ctx.probe.median_update_ratio(ctx.layout.weights) or 0.0
        huge = self.last_scale >= self.GRAD_WEIGHT and moved >= 1.0
        if self.scale.update(huge, ctx.step, ctx.epoch):
            return [self._scale_finding(ctx)]
        if len(self.early) < 3 and total > 0:
            self.early.append(total)
        base = min(self.early) if self.early else 0.0
        self.last_growth = total / base if base > 0 else 0.0
        start, recent = ctx.losses.start(), ctx.losses.recent_median(8)
        unstable = start is None or recent is None or recent >= self.LOSS_GATE * start
        # ...and now at least as large as the weights: 100x a near-zero start (a net whose
        # inputs are all zero has gradients ~1e-3 at first) can still be a small gradient
        grew = base > 0 and total >= self.GROWTH * base and unstable and self.last_scale >= 1.0
        if self.growth.update(grew, ctx.step, ctx.epoch):
            return [
                self.finding(
                    ctx,
                    f"The gradient norm grew from {num(base)} (first probes) to {num(total)} "
                    f"at step {ctx.step}, {num(total / base)}x, on {self.growth.count} probes "
                    "in a row.",
                    self._fix(),
                    step=self.growth.since_step,
                    epoch=self.growth.since_epoch,
                    evidence={"start_grad_norm": base, "grad_norm": total, "growth": total / base},
                )
            ]
        r = adjusted_layer_ratio(ctx, skip)
        hit = r is not None and r[0] >= self.LAYER_RATIO
        if self.layers.update(hit, ctx.step, ctx.epoch):
            ratio, first, last = r
            return [
                self.finding(
                    ctx,
                    f"The first layer '{first}' gets gradients {num(ratio)}x larger per weight "
                    f"than the last layer '{last}' (on {self.layers.count} probes in a row), so "
                    "they grow layer by layer on the way back.",
                    fix,
                    step=self.layers.since_step,
                    epoch=self.layers.since_epoch,
                    where=ctx.layout.module_of(first),
                    evidence={
                        "first_last_rms_ratio": ratio,
                        "first_layer": first,
                        "last_layer": last,
                        "input_rms": ctx.probe.input_rms,
                    },
                )
            ]
        return []
