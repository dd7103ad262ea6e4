"""``saturated_activations``: sigmoid/tanh outputs pinned in their flat tails.

Per probe and hidden sigmoid/tanh module, the share of outputs whose local derivative is
below 1% of its maximum (see :func:`~trainwise.doctor.probes.activations.saturated_mask`;
DeepDiagnosis' >50% of |pre-activations| >= 5 is the same idea). Fires when a layer's share
is at least :attr:`SHARE` (50%) on :attr:`NEED` (3) probes in a row. The model's output
activation (after its last layer with weights) is left out: a confident, correct sigmoid
output is saturated by design.
"""

from __future__ import annotations

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num
from trainwise.doctor.live.streak import Streak


class SaturatedActivations(LiveRule):
    code = "saturated_activations"
    SHARE = 0.5
    NEED = 3
    _streaks = ("streak",)
    _state = ("done", "peak")

    def __init__(self) -> None:
        super().__init__()
        self.streak = Streak(self.NEED)
        self.peak: dict[str, float] = {}

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if self.done or ctx.probe is None:
            return []
        shares = {
            name: s["saturated"]
            for name, s in ctx.probe.activations.items()
            if s["kind"] in ("sigmoid", "tanh") and not s["output_layer"]
        }
        if not shares:
            return []
        name = max(shares, key=shares.get)
        share = shares[name]
        if share >= self.SHARE:
            self.peak[name] = max(self.peak.get(name, 0.0), share)
        if not self.streak.update(share >= self.SHARE, ctx.step, ctx.epoch):
            return []
        kind = ctx.probe.activations[name]["kind"]
        return [
            self.finding(
                ctx,
                f"{num(100 * share)}% of the {kind} outputs of '{name}' sit in the flat tails "
                f"(derivative below 1% of its maximum) on {self.streak.count} probes in a row, "
                "so little gradient passes through.",
                Fix(
                    "use a smaller (Glorot) init, standardize the inputs, add batch "
                    "normalization, or switch to relu",
                    {"model.init": "glorot_uniform", "model.norm": "batch"},
                ),
                step=self.streak.since_step,
                epoch=self.streak.since_epoch,
                where=name,
                evidence={
                    "saturated_share": share,
                    "activation": kind,
                    "saturated_share_by_layer": shares,
                    "probes": self.streak.count,
                },
            )
        ]
