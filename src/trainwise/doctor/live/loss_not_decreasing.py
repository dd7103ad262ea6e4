"""``loss_not_decreasing``: the training loss is flat and no more specific rule explains it.

Judged from step ``J`` = max(:attr:`MIN_STEPS` (40), :attr:`SHARE` (8%) of the planned steps)
(50 when the run's length is unknown) up to ``3 J``, on every step: the median of the last
:attr:`RECENT` (16) losses has not fallen below :attr:`REL` (97%) of the run's starting loss,
or sits between 97% and :attr:`NEAR` (1.5x) of the *trivial* loss, i.e. the loss function
applied to a constant prediction of the class shares (classification) or the target mean
(regression) on the probed batches. The second reference catches a model that quickly
reaches "predict the prior" and stays there.

Why not earlier: a healthy but slow start must not look like a model that learns nothing, so
a loss whose least-squares trend over the last :attr:`TREND` (64) losses still falls by more
than :attr:`FALLING` (3%) of its level and by two standard errors is not flat yet. A *noisy*
loss (:attr:`NOISY_SPREAD`) is judged later, from :attr:`NOISY_SHARE` (12%) of the run.

The verdict is spoken this early on purpose (a loss that never moves should be named within
a tenth of the run), so the epochs may later contradict it: once the epoch losses fall
steadily below the level it called flat, :mod:`~trainwise.doctor.curves.reconsider` withdraws
it (a slow start, e.g. plain SGD at a small learning rate: "flat after 50 steps", then 0.013
lower every epoch).

A more specific finding (see :mod:`~trainwise.doctor.precedence`) is the explanation: once
one has fired this rule is not called. Otherwise it lists ranked hypotheses with the numbers
that support each.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import torch

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num, round_sig
from trainwise.doctor.live.unshuffled_data import batch_classes


def trivial_loss(ctx: LiveContext, target_mean: float | None) -> float | None:
    """The loss of a constant prediction on this batch (None when it cannot be formed)."""
    out, y, loss_fn = ctx.outputs, ctx.targets, ctx.loss_fn
    if not (isinstance(out, torch.Tensor) and isinstance(y, torch.Tensor)) or loss_fn is None:
        return None
    try:
        with torch.no_grad():
            out = out.detach()
            labels = batch_classes(y)
            if (
                out.ndim == 2
                and out.shape[1] >= 2
                and labels is not None
                and not y.is_floating_point()
            ):
                counts = torch.ones(out.shape[1])  # +1 smoothing: no log(0)
                for k, v in ctx.label_counts.items():
                    if 0 <= int(k) < out.shape[1]:
                        counts[int(k)] += v
                if not ctx.label_counts:
                    counts += torch.bincount(labels, minlength=out.shape[1])[: out.shape[1]]
                const = (counts / counts.sum()).log().to(out.dtype).expand_as(out)
            elif y.is_floating_point() and y.shape == out.shape and target_mean is not None:
                if labels is not None and out.min() >= 0 and out.max() <= 1:
                    const = torch.full_like(out, min(max(target_mean, 1e-6), 1 - 1e-6))
                elif labels is not None:
                    p = min(max(target_mean, 1e-6), 1 - 1e-6)
                    const = torch.full_like(out, math.log(p / (1 - p)))
                else:
                    const = torch.full_like(out, target_mean)
            else:
                return None
            value = float(loss_fn(const, y))
    except Exception:  # an unusual loss signature: go without this reference
        return None
    return value if math.isfinite(value) else None


def hypotheses(ctx: LiveContext) -> list[dict[str, Any]]:
    """Ranked causes of a flat loss, each ``{"cause", "score" (0..1), "why"}``, best first."""
    probes = ctx.probes[-3:]
    found: list[dict[str, Any]] = []

    def add(cause: str, score: float, why: str) -> None:
        found.append({"cause": cause, "score": round(max(0.0, min(1.0, score)), 3), "why": why})

    ratios = [max(r) for p in probes if (r := list(p.update_ratios(ctx.layout.weights).values()))]
    if ratios:
        top = statistics.median(ratios)
        if 0 < top < 1e-3:
            add("lr_too_low", math.log10(1e-3 / top) / 2, f"largest update/weight ratio {num(top)}")
        meds = [m for p in probes if (m := p.median_update_ratio(ctx.layout.weights))]
        if meds and statistics.median(meds) > 1e-2:
            med = statistics.median(meds)
            add("lr_too_high", math.log10(med / 1e-2), f"median update/weight ratio {num(med)}")
    layer = [r[0] for p in probes if (r := p.layer_ratio(ctx.layout.weights))]
    if layer and statistics.median(layer) < 0.1:
        r = statistics.median(layer)
        add("vanishing_gradients", -math.log10(r) / 3, f"first/last layer gradient ratio {num(r)}")
    dead = [a["dead"] for p in probes for a in p.activations.values() if "dead" in a]
    if dead and max(dead) > 0.2:
        add("dead_relu", max(dead), f"up to {num(100 * max(dead))}% dead ReLU units")
    sat = [a["saturated"] for p in probes for a in p.activations.values() if "saturated" in a]
    if sat and max(sat) > 0.2:
        add("saturated_activations", max(sat), f"up to {num(100 * max(sat))}% saturated units")
    spread = [p.output_spread for p in probes if p.output_spread is not None]
    if spread and statistics.median(spread) < 0.05:
        s = statistics.median(spread)
        add("output_ignores_input", 1 - s / 0.05, f"outputs vary by {num(s)} of their size")
    add("labels_carry_no_signal", 0.3, "no model-side cause measured: check labels vs inputs")
    add("model_too_small_or_too_few_steps", 0.2, "a bigger model or more steps may help")
    return sorted(found, key=lambda h: -h["score"])


_FIXES = {
    "lr_too_low": ("raise the learning rate 10x", lambda ctx: {"optimizer.lr": ctx.lr * 10}),
    "lr_too_high": ("lower the learning rate 10x", lambda ctx: {"optimizer.lr": ctx.lr / 10}),
    "vanishing_gradients": ("add batch normalization", lambda ctx: {"model.norm": "batch"}),
    "dead_relu": ("use leaky_relu", lambda ctx: {"model.activation": "leaky_relu"}),
    "saturated_activations": ("use relu", lambda ctx: {"model.activation": "relu"}),
    "output_ignores_input": (
        "check that the forward pass uses its input (no constant or detached path)",
        lambda ctx: {},
    ),
    "labels_carry_no_signal": (
        "check that labels belong to their inputs (no shuffled or random labels)",
        lambda ctx: {},
    ),
    "model_too_small_or_too_few_steps": ("train longer or use a bigger model", lambda ctx: {}),
}


class LossNotDecreasing(LiveRule):
    code = "loss_not_decreasing"
    every_step = True
    MIN_STEPS = 40  # fewer steps cannot tell a slow start from no learning
    SHARE = 0.08  # judged from 8% of the run: a healthy slow start has left its plateau by then
    #: a noisy loss (robust spread of the last 16 losses above 10% of their median: then the
    #: median's own standard error, ~0.31 of the spread, reaches the 3% that "flat" allows)
    #: is judged from NOISY_SHARE of the run instead
    NOISY_SPREAD = 0.10
    NOISY_SHARE = 0.12
    REL = 0.97  # "flat": not 3% below the start (batch noise alone moves a median that much)
    NEAR = 1.5  # "at the trivial level" up to 1.5x it (far above it but falling is learning)
    RECENT = 16  # losses in the median: enough to outvote a few odd batches
    TREND = 64  # losses in the trend fit
    FALLING = 0.03  # a fitted fall of 3% of the level over the window counts as learning
    _state = ("done", "trivial", "target_sum", "target_n")

    def __init__(self) -> None:
        super().__init__()
        self.trivial: list[float] = []
        self.target_sum = 0.0
        self.target_n = 0

    def judge_step(self, total_steps: int | None, noisy: bool = False) -> int:
        if total_steps is None:
            return 75 if noisy else 50
        share = self.NOISY_SHARE if noisy else self.SHARE
        return max(self.MIN_STEPS, round(share * total_steps))

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if self.done:
            return []
        if ctx.probe is not None:
            self._track_trivial(ctx)
        j = self.judge_step(ctx.total_steps)
        if ctx.step < j:
            return []
        if ctx.step > 3 * j:
            self.done = True
            return []
        start = ctx.losses.start()
        recent = ctx.losses.recent_median(self.RECENT)
        if start is None or recent is None or not math.isfinite(ctx.loss):
            return []
        if ctx.step < self.judge_step(ctx.total_steps, noisy=True):
            values = [v for _, v in ctx.losses.finite_recent(self.RECENT)]
            spread = 1.4826 * statistics.median(abs(v - recent) for v in values)
            if spread > self.NOISY_SPREAD * abs(recent):
                return []  # too noisy to call flat this early
        trivial = statistics.median(self.trivial) if self.trivial else None
        # flat against the start counts only if the start was not already clearly below the
        # trivial level: a loss that fell that far within its first steps and then rests has
        # learned; a plateau there is underfitting's question, not a loss that does not decrease
        learned_early = trivial is not None and start < self.REL * trivial
        flat = start > 0 and recent >= self.REL * start and not learned_early
        at_trivial = trivial is not None and self.REL * trivial <= recent <= self.NEAR * trivial
        if not (flat or at_trivial):
            return []
        window = max(8, min(self.TREND, ctx.step))
        trend = ctx.losses.trend(window)
        if trend is not None and trend[0] > max(2 * trend[1], self.FALLING * recent):
            return []  # still falling clearly: a slow start, not a flat loss
        ranked = hypotheses(ctx)
        top = ranked[0]
        text, overrides = _FIXES[top["cause"]]
        over = {k: round_sig(v) if isinstance(v, float) else v for k, v in overrides(ctx).items()}
        if None in over.values() or (ctx.lr is None and "optimizer.lr" in over):
            over = {}
        listing = "; ".join(f"{h['cause']} ({h['score']}: {h['why']})" for h in ranked[:3])
        return [
            self.finding(
                ctx,
                f"The training loss is flat after {ctx.step} steps: {num(recent)} now, "
                f"{num(start)} at the start"
                + (f", {num(trivial)} for a constant prediction" if trivial else "")
                + f"; likely causes, best first: {listing}.",
                Fix(f"{text}; if that does not help, try the next hypothesis", over),
                step=0,
                epoch=0,
                evidence={
                    "start_loss": start,
                    "recent_loss": recent,
                    "trivial_loss": trivial,
                    "hypotheses": ranked,
                },
            )
        ]

    def _track_trivial(self, ctx: LiveContext) -> None:
        y = ctx.targets
        if isinstance(y, torch.Tensor) and y.is_floating_point() and y.numel():
            self.target_sum += float(y.detach().double().sum())
            self.target_n += y.numel()
        mean = self.target_sum / self.target_n if self.target_n else None
        value = trivial_loss(ctx, mean)
        if value is not None:
            self.trivial.append(value)
            del self.trivial[:-16]
