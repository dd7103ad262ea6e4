"""``dead_relu``: a large share of a ReLU layer's units output zero for every input.

A unit counts as dead only when it was zero for every sample (and position) of *each* of the
last :attr:`WINDOW` (3) probed batches: one batch of 32 can leave a rarely active but healthy
unit silent, three different batches rarely do. The rule fires when that share reaches
:attr:`SHARE` (50%) in a hidden ReLU layer with at least :attr:`MIN_UNITS` (4) units. (AutoTrainer
uses >= 70% of weight gradients exactly zero; DeepDiagnosis 70% of outputs <= 0 at the last
epoch.) Only ``nn.ReLU``/``nn.ReLU6`` modules are seen: ``F.relu`` calls inside a forward are
invisible to hooks. Units that die after ``lr_too_high`` or ``exploding_gradients`` fired
are their consequence, and are not reported again as a cause.
"""

from __future__ import annotations

from typing import Any

import torch

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num


class DeadRelu(LiveRule):
    code = "dead_relu"
    SHARE = 0.5
    WINDOW = 3
    MIN_UNITS = 4
    _state = ("done", "history")

    def __init__(self) -> None:
        super().__init__()
        # per module: the last WINDOW probes as [step, epoch, alive-mask as list of bools]
        self.history: dict[str, list[list[Any]]] = {}

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if self.done or ctx.probe is None:
            return []
        worst: tuple[float, str, int, int, int] | None = None
        shares = {}
        for name, stats in ctx.probe.activations.items():
            if stats["kind"] != "relu" or stats["output_layer"] or stats["units"] < self.MIN_UNITS:
                continue
            hist = self.history.setdefault(name, [])
            hist.append([ctx.step, ctx.epoch, ctx.probe.alive[name].tolist()])
            del hist[: -self.WINDOW]
            if len(hist) < self.WINDOW or len({len(h[2]) for h in hist}) != 1:
                continue
            alive = torch.tensor([h[2] for h in hist]).any(dim=0)
            share = 1.0 - float(alive.float().mean())
            shares[name] = share
            if share >= self.SHARE and (worst is None or share > worst[0]):
                # onset: the first probe of the window that already showed this many dead
                onset = next((h for h in hist if 1 - sum(h[2]) / len(h[2]) >= self.SHARE), hist[0])
                worst = (share, name, onset[0], onset[1], alive.numel())
        if worst is None:
            return []
        share, name, step, epoch, units = worst
        return [
            self.finding(
                ctx,
                f"{num(100 * share)}% of the {units} ReLU units after '{name}' output zero for "
                f"every sample of the last {self.WINDOW} probed batches, so they no longer "
                "learn.",
                Fix(
                    "use leaky_relu, a He init with zero biases, batch normalization, or a lower "
                    "learning rate",
                    {"model.activation": "leaky_relu", "model.init": "he_normal"},
                ),
                step=step,
                epoch=epoch,
                where=name,
                evidence={
                    "dead_share": share,
                    "units": units,
                    "probes": self.WINDOW,
                    "dead_share_by_layer": shares,
                },
            )
        ]
