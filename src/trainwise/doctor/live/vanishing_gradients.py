"""``vanishing_gradients``: early layers get gradients orders of magnitude smaller than late ones.

Per probe, the first layer's gradient RMS per element over the last layer's (divided by the
input RMS when known, so small inputs alone do not count). It fires when that ratio is below
:attr:`FLOOR` (1e-3, AutoTrainer's beta_1, here on per-element RMS so layer size does not
matter), or below :attr:`RELATIVE_FLOOR` (1e-2) *and* :attr:`DROP` (100x) below what the same
net showed on its first three probes (gradients that vanish as training goes), on
:attr:`NEED` (3) probes in a row. A first layer with no gradient at all is left to
``params_not_updating``, and so are layers the optimizer does not hold: a forgotten output
layer's gradient grows while the layers before it learn, which is not vanishing.
"""

from __future__ import annotations

import statistics

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.exploding_gradients import adjusted_layer_ratio
from trainwise.doctor.live.rule import LiveRule, num
from trainwise.doctor.live.streak import Streak


class VanishingGradients(LiveRule):
    code = "vanishing_gradients"
    FLOOR = 1e-3
    RELATIVE_FLOOR = 1e-2
    DROP = 100.0
    NEED = 3
    _streaks = ("streak",)
    _state = ("done", "early")

    def __init__(self) -> None:
        super().__init__()
        self.early: list[float] = []
        self.streak = Streak(self.NEED)

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if self.done or ctx.probe is None:
            return []
        r = adjusted_layer_ratio(ctx, skip=set(ctx.layout.not_in_optimizer))
        if r is None or not r[0] > 0:
            self.streak.update(False, ctx.step, ctx.epoch)
            return []
        ratio, first, last = r
        if len(self.early) < 3:
            self.early.append(ratio)
        base = statistics.median(self.early)
        hit = ratio < self.FLOOR or (ratio < self.RELATIVE_FLOOR and ratio * self.DROP < base)
        if not self.streak.update(hit, ctx.step, ctx.epoch):
            return []
        saturating = any(
            a["kind"] in ("sigmoid", "tanh") and not a["output_layer"]
            for a in ctx.probe.activations.values()
        )
        overrides = {"model.norm": "batch", "model.init": "he_normal"}
        if saturating:
            overrides = {"model.activation": "relu", **overrides}
        return [
            self.finding(
                ctx,
                f"The first layer '{first}' gets gradients {num(ratio)} times those of the last "
                f"layer '{last}' per weight (first probes: {num(base)}), on {self.streak.count} "
                "probes in a row, so the early layers barely learn.",
                Fix(
                    ("use relu-family activations instead of sigmoid/tanh, " if saturating else "")
                    + "add batch normalization and a He/Glorot init (or residual connections)",
                    overrides,
                ),
                step=self.streak.since_step,
                epoch=self.streak.since_epoch,
                where=ctx.layout.module_of(first),
                evidence={
                    "first_last_rms_ratio": ratio,
                    "early_ratio": base,
                    "first_layer": first,
                    "last_layer": last,
                    "probes": self.streak.count,
                },
            )
        ]
