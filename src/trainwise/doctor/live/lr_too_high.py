"""``lr_too_high``: the loss diverges, or the steps are so large that the loss cannot settle.

Checked on every step (a few float comparisons):

- divergence: the median of the last :attr:`WINDOW` (8) losses exceeds :attr:`DIVERGE` (2x)
  the run's starting loss (median of its first 5) or :attr:`BLOWUP` (10x) its very first loss
  (the untrained model's, before a diverging start spikes the median), or the loss turned
  non-finite right after reaching :attr:`BLOWUP` (10x) its start; a finite median below
  :attr:`BLOWUP` (10x) the start counts only with evidence that the steps are large: the
  latest probe's median update/weight ratio of the layer weights (scaled by how the LR
  changed since) at least :attr:`LARGE` (1e-2, 10x the healthy ~1e-3), or the layer weights
  grown to :attr:`GROWN` (2x) their first probed norms; before any probe it waits for one.
  A loss can rise 2-3x in its first steps with small steps: a ``BCEWithLogitsLoss`` with
  ``pos_weight = n_neg / n_pos`` (~19) at Adam lr 3e-4 moves from 0.6 to 1.5 while the model
  leaves its all-negative start (update ratios ~1e-3), then trains well;

and on probes:

- bouncing: the median update/weight ratio of the layer weights is at least :attr:`RATIO`
  (0.1, i.e. 100x the healthy ~1e-3; DeepDiagnosis' upper bound) while the loss has not
  fallen below :attr:`FLAT` (90%) of its start, on :attr:`NEED` (3) probes in a row; it
  fires only once :attr:`MIN_LOSSES` (10) losses are in, so "the loss has not fallen" rests
  on a full window: Adam's first steps move a small layer's weights by ~lr / weight-size
  before the loss has had time to fall.

A layer whose output goes straight into a normalization layer (BatchNorm, LayerNorm, ...) is
scale-invariant: a large step only grows its weights, which shrinks the next steps (its
effective LR falls as ``lr / |w|^2``), so such layers are left out of the bouncing median
(all of them, when every layer is; then the bounce is not judged). When most layer weights
feed one, the net stabilizes itself: its hidden weights grow and every layer's steps shrink
within tens of steps (a 6-layer BatchNorm MLP at SGD lr 0.5, momentum 0.9: update/weight
ratios 0.2-0.4 at step 4, under 0.1 by step 12, loss 2.1 -> 1.5 by step 30, a run that
learns), so its bounce is judged on :attr:`MIN_LOSSES_NORMED` (30) losses, not 10, unless
the loss has stood :attr:`WORSE` (1.25x) above its start on a probe (the same MLP at lr 5:
1.5 -> 3-6 in its first steps; a BatchNorm CNN at Adam lr 1: 2.3 -> 17 at step 1).

Weights whose median norm shrank to :attr:`SHRUNK_UNSEEN` (half) of their first probed norms
are pulled down by a penalty the doctor was not told of (an L2 term added to the loss by hand
in a plain loop): too-large steps grow weights, they do not shrink every layer. With an L2
penalty (or coupled weight decay) whose own gradient (``2 * l2 * w``) is at least half of the layers'
gradient, the bounce is the penalty holding the weights small, not the step size: left to
``over_regularized``.

The suggested learning rate is a tenth of the largest one seen in the run.
"""

from __future__ import annotations

import math
import statistics

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num, round_sig
from trainwise.doctor.live.streak import Streak


class LrTooHigh(LiveRule):
    code = "lr_too_high"
    every_step = True
    WINDOW = 8
    DIVERGE = 2.0
    BLOWUP = 10.0
    RATIO = 0.1
    FLAT = 0.9
    NEED = 3
    MIN_LOSSES = 10
    MIN_LOSSES_NORMED = 30
    WORSE = 1.25
    LARGE = 1e-2
    GROWN = 2.0
    _streaks = ("bounce",)
    _state = ("done", "high_until", "first_norms", "worse", "probe_ratio", "probe_lr", "grown")
    #: a penalty holds the weights at or below this share of their first probed norms
    SHRUNK = 1.0
    #: weights shrunk to this share of their first norms: a pull the doctor was not told of
    #: (an L2 term added to the loss by hand) holds them, whatever the step size
    SHRUNK_UNSEEN = 0.5

    def __init__(self) -> None:
        super().__init__()
        self.bounce = Streak(self.NEED)
        self.high_until = -1  # last step that may still see a median above 2x the start
        self.first_norms: dict[str, float] = {}  # layer weight -> its norm at the first probe
        self.worse = False  # a probe saw the loss median at WORSE x its start or more
        self.probe_ratio: float | None = None  # the latest probe's median update/weight ratio
        self.probe_lr: float | None = None  # the LR at that probe
        self.grown = 1.0  # the layer weights' median norm over their first probed norms

    def _fix(self, ctx: LiveContext) -> Fix:
        if ctx.max_lr:
            new = round_sig(ctx.max_lr / 10)
            return Fix(
                f"lower the learning rate about 10x (to {num(new)}), or add warmup and "
                "gradient clipping",
                {"optimizer.lr": new},
            )
        return Fix("lower the learning rate about 10x, or add warmup and gradient clipping")

    def _shrunk(self, ctx: LiveContext) -> float:
        """The median over layer weights of their norm now over their first probed norm
        (inf before both are known)."""
        grown = [
            ctx.probe.updates[w]["weight"] / self.first_norms[w]
            for w in ctx.layout.weights
            if w in ctx.probe.updates and self.first_norms.get(w, 0) > 0
        ]
        return statistics.median(grown) if grown else math.inf

    def _read_probe(self, ctx: LiveContext) -> None:
        """Keep what the divergence check needs from this probe: the step size and how far the
        weights grew."""
        if not self.first_norms:
            self.first_norms = {
                w: float(u["weight"]) for w, u in ctx.probe.updates.items() if "weight" in u
            }
        ratio = ctx.probe.median_update_ratio(ctx.layout.weights)
        if ratio is not None:
            self.probe_ratio, self.probe_lr = ratio, ctx.lr
        grown = self._shrunk(ctx)
        if math.isfinite(grown):
            self.grown = grown

    def _large_steps(self, ctx: LiveContext) -> bool:
        """The probes show large steps: a median update ratio of at least LARGE at the latest
        probe (scaled to the LR now: a warm-up may have raised it since), or weights grown to
        GROWN x their first norms. False before any probe: the check waits for one."""
        if self.grown >= self.GROWN:
            return True
        if self.probe_ratio is None:
            return False
        ratio = self.probe_ratio
        if ctx.lr and self.probe_lr:
            ratio *= ctx.lr / self.probe_lr
        return ratio >= self.LARGE

    def _held_by_penalty(self, ctx: LiveContext) -> bool:
        """Most of the layer weights' gradient is the L2 penalty's own ``2 * l2 * w`` (or
        coupled weight decay's ``wd * w``, added inside the optimizer step) and the weights
        have not grown past their first probed norms: the weights sit where the penalty holds
        them, small, so any step is large against them. Weights that grew (Adam at lr 1 with
        weight decay 0.05: the decay term dominates the gradient of weights the steps blew
        up) are the steps' doing, not the penalty's."""
        reg = ctx.regularization
        pull = 2 * float(reg.get("l2") or 0.0)
        if reg.get("optimizer") not in (None, "adamw"):
            pull += float(reg.get("weight_decay") or 0.0)  # coupled: wd * w joins the gradient
        if pull <= 0 or ctx.probe is None:
            return False
        shares = [
            pull * ctx.probe.updates[w]["weight"] / ctx.probe.grads[w]["norm"]
            for w in ctx.layout.weights
            if w in ctx.probe.updates and ctx.probe.grads.get(w, {}).get("norm", 0) > 0
        ]
        if self._shrunk(ctx) > self.SHRUNK:
            return False
        return bool(shares) and statistics.median(shares) >= 0.5

    def observe(self, ctx: LiveContext) -> list[Finding]:
        median_start = ctx.losses.start()
        if self.done or median_start is None or not median_start > 0:
            return []
        # the start is the median of the first five losses, or the untrained model's very first
        # loss if lower: a diverging or bouncing start spikes the median itself, which would
        # hide the divergence
        start = min(median_start, ctx.losses.head[0])
        lr = {"lr": ctx.max_lr} if ctx.max_lr else {}
        if not math.isfinite(ctx.loss):
            peak = max((v for _, v in ctx.losses.finite_recent(self.WINDOW)), default=None)
            if peak is not None and peak >= self.BLOWUP * start:
                onset = ctx.losses.first_step_above(self.DIVERGE * start, self.WINDOW)
                return [
                    self.finding(
                        ctx,
                        f"The loss climbed from {num(start)} to {num(peak)} and then became "
                        f"{ctx.loss} at step {ctx.step}: the updates overshoot.",
                        self._fix(ctx),
                        step=onset,
                        evidence={"start_loss": start, "peak_loss": peak, **lr},
                    )
                ]
            return []
        # diverging: above 2x the median start, or 10x the very first loss (one batch is
        # noisy: MSE on unscaled targets can rise 2.3x over a lucky first batch and then
        # train well). The median of the last WINDOW can only pass the bar when this loss is
        # above it too, or was recently: checking on those steps only keeps the others free
        bar = min(self.DIVERGE * median_start, self.BLOWUP * ctx.losses.head[0])
        if ctx.loss > bar:
            self.high_until = ctx.step + self.WINDOW
        if ctx.probe is not None:
            self._read_probe(ctx)
        if ctx.losses.count >= self.WINDOW + 2 and ctx.step <= self.high_until:
            recent = ctx.losses.recent_median(self.WINDOW)
            if recent > bar and (recent >= self.BLOWUP * start or self._large_steps(ctx)):
                onset = ctx.losses.first_step_above(bar, self.WINDOW)
                return [
                    self.finding(
                        ctx,
                        f"The loss diverges: the median of the last {self.WINDOW} steps is "
                        f"{num(recent)}, {num(recent / start)}x its start ({num(start)}; the "
                        f"bar is {num(bar)}).",
                        self._fix(ctx),
                        step=onset,
                        evidence={"start_loss": start, "recent_loss": recent, "bar": bar, **lr},
                    )
                ]
        if ctx.probe is None:
            return []
        free = _free_weights(ctx)
        # most layers scale-invariant: the steps shrink as those weights grow, so wait longer;
        # the free layers or all of them may bounce (a head alone can settle while Adam at lr
        # 1 still throws the body about, or the body settle first while the head bounces)
        normed = len(free) < len(ctx.layout.weights) / 2
        ratio = ctx.probe.median_update_ratio(free)
        if normed:
            body = ctx.probe.median_update_ratio(ctx.layout.weights)
            ratio = body if ratio is None else max(ratio, body or 0.0)
        recent = ctx.losses.recent_median(self.WINDOW)
        self.worse = self.worse or recent >= self.WORSE * start
        waits = normed and not self.worse
        need = self.MIN_LOSSES_NORMED if waits else self.MIN_LOSSES
        hit = ratio is not None and ratio >= self.RATIO and recent >= self.FLAT * start
        if hit and (self._held_by_penalty(ctx) or self._shrunk(ctx) <= self.SHRUNK_UNSEEN):
            hit = False  # the L2 pull, not the step size, keeps the loss up: over_regularized
        if not self.bounce.update(hit, ctx.step, ctx.epoch) or ctx.losses.count < need:
            return []
        return [
            self.finding(
                ctx,
                f"Each step moves the weights by {num(ratio)} of their size (median over "
                f"layers; healthy is about 0.001) on {self.bounce.count} probes in a row, and "
                f"the loss stays at {num(recent)} against {num(start)} at the start.",
                self._fix(ctx),
                step=self.bounce.since_step,
                epoch=self.bounce.since_epoch,
                evidence={"update_ratio": ratio, "start_loss": start, "recent_loss": recent, **lr},
            )
        ]


def _free_weights(ctx: LiveContext) -> list[str]:
    """The layer weights whose module does not feed a normalization layer directly (in the
    forward call order the probes saw); empty when every one does."""
    loop, layout = ctx.loop, ctx.layout
    norms = getattr(loop, "norm_modules", None)
    if not norms or not layout.module_order:
        return layout.weights
    order = layout.module_order
    before_norm = {order[i] for i in range(len(order) - 1) if order[i + 1] in norms}
    return [w for w in layout.weights if layout.module_of(w) not in before_norm]
