"""One probe's readings, and the few summaries the live rules take from them."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class ProbeReading:
    """What a probe saw at one optimizer step.

    ``grads``: per parameter ``{"norm", "rms", "status"}`` (see
    :func:`~trainwise.doctor.probes.gradients.grad_stats`); ``updates``: per parameter
    ``{"update", "weight", "ratio"}`` (empty without a snapshot); ``activations``: per
    activation module (see :meth:`ActivationProbe.stats`); ``alive``: per ReLU module, which
    units were non-zero; ``input_rms``: root mean square of the float inputs (None without
    inputs); ``output_spread``: mean over output units of the across-sample std, relative to
    the outputs' mean absolute value (about 0 when the output ignores the input).
    """

    step: int
    epoch: int
    grads: dict[str, dict[str, Any]] = field(default_factory=dict)
    updates: dict[str, dict[str, float]] = field(default_factory=dict)
    activations: dict[str, dict[str, Any]] = field(default_factory=dict)
    alive: dict[str, torch.Tensor] = field(default_factory=dict)
    input_rms: float | None = None
    output_spread: float | None = None

    def record(self, weights: list[str], loss: float | None = None) -> dict[str, Any]:
        """A compact JSON-able summary for the run's probe history (``probes.jsonl``, the
        report's gradient-flow and activation plots): per layer weight (in forward order) its
        gradient norm and update/weight ratio, per activation module its dead or saturated
        share. About 100 bytes per layer; the history has ~64 of them per run."""

        def num(v):
            return float(v) if v is not None and math.isfinite(v) else None

        rec: dict[str, Any] = {"step": self.step, "epoch": self.epoch, "loss": num(loss)}
        rec["grad_norm"] = {w: num(self.grads[w]["norm"]) for w in weights if w in self.grads}
        rec["update_ratio"] = {
            w: num(self.updates[w]["ratio"]) for w in weights if w in self.updates
        }
        rec["dead"] = {m: a["dead"] for m, a in self.activations.items() if "dead" in a}
        rec["saturated"] = {
            m: a["saturated"] for m, a in self.activations.items() if "saturated" in a
        }
        return rec

    def total_grad_norm(self, skip: set[str] | frozenset = frozenset()) -> float:
        """Global gradient norm over every parameter not in ``skip`` (NaN/inf propagate)."""
        return math.sqrt(sum(g["norm"] ** 2 for n, g in self.grads.items() if n not in skip))

    def layer_ratio(self, weights: list[str]) -> tuple[float, str, str] | None:
        """``(rms(first layer grad) / rms(last layer grad), first, last)`` over the layer
        weights that received a gradient, or None with fewer than two or a zero last rms."""
        have = [w for w in weights if self.grads.get(w, {}).get("status") == "ok"]
        if len(have) < 2:
            return None
        first, last = have[0], have[-1]
        last_rms = self.grads[last]["rms"]
        if not last_rms > 0 or not math.isfinite(last_rms):
            return None
        return self.grads[first]["rms"] / last_rms, first, last

    def update_ratios(self, weights: list[str]) -> dict[str, float]:
        """Update/weight ratio of each layer weight that has one."""
        return {w: self.updates[w]["ratio"] for w in weights if w in self.updates}

    def median_update_ratio(self, weights: list[str]) -> float | None:
        r = [v for v in self.update_ratios(weights).values() if v > 0 and math.isfinite(v)]
        return statistics.median(r) if r else None


def input_rms(inputs: Any) -> float | None:
    """RMS of a float input tensor (None for anything else).

    >>> input_rms(torch.full((2, 3), 2.0))
    2.0
    """
    if not isinstance(inputs, torch.Tensor) or not inputs.is_floating_point():
        return None
    with torch.no_grad():
        v = float(inputs.detach().float().pow(2).mean().sqrt())
    return v if math.isfinite(v) else None


def output_spread(outputs: Any) -> float | None:
    """How much the outputs vary across the batch, relative to their size: mean over output
    units of the across-sample std, divided by the mean absolute output (None for a batch of
    one or non-tensor outputs; 0 for outputs that ignore the input).

    >>> output_spread(torch.tensor([[1.0, 2.0], [1.0, 2.0]]))
    0.0
    """
    if not isinstance(outputs, torch.Tensor) or not outputs.is_floating_point():
        return None
    if outputs.ndim == 0 or outputs.shape[0] < 2:
        return None
    with torch.no_grad():
        y = outputs.detach().float().reshape(outputs.shape[0], -1)
        scale = float(y.abs().mean())
        spread = float(y.std(dim=0).mean())
    if not (math.isfinite(scale) and math.isfinite(spread)):
        return None
    return spread / scale if scale > 0 else 0.0
