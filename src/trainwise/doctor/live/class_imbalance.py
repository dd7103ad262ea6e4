"""``class_imbalance`` (live): the run shows the model ignoring the small classes.

The preflight check (``preflight/class_imbalance.py``) reports skewed class shares as
``info``: a class-weighted loss, a balanced sampler or separable classes make them harmless.
This rule warns only on evidence from the run. On probed steps it tallies, per class, the
training samples and the right predictions (the model's output read by a hook, the targets
given to ``Doctor.step``: :class:`~trainwise.doctor.live.class_outputs.ClassOutputs`), per
epoch. At the first step of the next epoch it judges that epoch (pooled with the epochs
before it, back to the second and at most :attr:`ClassImbalance.SPAN` in all, until they hold
:attr:`ClassImbalance.MIN_SMALL` samples of the small classes): it fires when, in an epoch
after the first,

- the training loss has stopped falling (the epoch's mean loss at least
  :attr:`~ClassImbalance.PLATEAU` of the epoch before's): a model still learning takes the
  small classes last, often epochs after the large ones, and is not judged;
- the other classes are learned (pooled recall >= :attr:`~ClassImbalance.LEARNED`);
- the small classes (under ``RATIO`` of the largest, as the preflight check) are recalled at
  most :attr:`~ClassImbalance.GAP` times as often.

Handled imbalance ends the rule silently (the preflight ``info`` stands): a loss whose class
weights fall as the class counts rise (rank correlation <= :attr:`~ClassImbalance.INVERSE`,
read from the loss function or inferred from the output's gradient), or batches whose
classes are balanced (smallest share >= :attr:`~ClassImbalance.BALANCED` of the largest over
the first 64 steps and the probes) while the data is not: a balanced sampler. Class counts
come from ``check_data``, else from the targets seen in the batches. Class labels only: the
targets must be class indices ((N,) integers; (N, C) multi-label rows are never classes).

Cost: the tallies of :class:`ClassOutputs` on probed steps (a few ``index_add_``, one small
host read at a step whose probe reads the device anyway); targets on the host for the first
64 steps and probes, in the doctor's batched read.
"""

from __future__ import annotations

import math
from typing import Any

from trainwise.doctor.finding import Finding
from trainwise.doctor.live.class_outputs import known_weights, rank_correlation
from trainwise.doctor.live.context import LiveContext, target_counts
from trainwise.doctor.live.loss_graph import LOSS_OPS
from trainwise.doctor.live.rule import LiveRule, num
from trainwise.doctor.live.unshuffled_data import batch_classes, host_classes
from trainwise.doctor.preflight.class_imbalance import FIX, describe, imbalance_of
from trainwise.doctor.preflight.loss_kind import loss_kind

#: the decision threshold of a binary output, by what the loss expects of it
THRESHOLDS = {"binary_logits": 0.0, "binary_probabilities": 0.5}


def binary_threshold(ctx: LiveContext) -> float | None:
    """Where a one-unit output splits class 0 from 1: from the loss function, else from the
    loss's autograd graph (BCE with logits: 0, BCE on probabilities: 0.5); None unknown."""
    kind = loss_kind(ctx.loss_fn) if ctx.loss_fn is not None else None
    graph = getattr(ctx.loop, "graph", None)
    if kind is None and graph is not None and graph.loss_op is not None:
        kind = LOSS_OPS.get(graph.loss_op)
    return THRESHOLDS.get(kind)


def class_tally(ctx: LiveContext) -> dict | None:
    """This step's per-class tally from the doctor's :class:`ClassOutputs` (None when the
    step was not caught or holds no class labels)."""
    outputs = getattr(ctx.loop, "class_outputs", None)
    if outputs is None:
        return None
    return outputs.tally(ctx.step, ctx.targets, binary_threshold(ctx))


def pct(x: float) -> str:
    return f"{100 * x:.0f}%"


class ClassImbalance(LiveRule):
    code = "class_imbalance"
    every_step = True
    #: steps whose batch targets are counted (then probes only)
    WINDOW = 64
    #: small-class samples a verdict needs (else the epochs before are added)
    MIN_SMALL = 12
    #: epochs a verdict may pool (the first epoch, a model just starting, never counts)
    SPAN = 4
    #: the other classes' recall: the model has learned the task, not just started
    LEARNED = 0.7
    #: small classes recalled at most this share as often as the others: ignored
    GAP = 0.5
    #: the epoch's mean training loss at least this share of the epoch before's: it has
    #: stopped falling (a model still learning takes the small classes last)
    PLATEAU = 0.9
    #: batches with the smallest class share >= this of the largest: a balanced sampler
    BALANCED = 0.5
    #: loss weights with a rank correlation <= this with the class counts: inverse frequency
    INVERSE = -0.5
    #: weights whose largest/smallest ratio is under this are taken as unweighted
    SPREAD = 1.5
    #: batch samples the sampler judgment needs
    MIN_BATCH_SAMPLES = 200
    _state = ("done", "batch_counts", "tallies", "judged", "losses")

    def __init__(self) -> None:
        super().__init__()
        self.batch_counts: dict[str, int] = {}  # class -> samples in the batches counted
        #: epoch -> [seen per class, right per class, [first tallied step]]
        self.tallies: dict[str, list[list[float]]] = {}
        self.judged = -1  # the last epoch judged
        self.losses: dict[str, list[float]] = {}  # epoch -> [sum of losses, steps]

    def reads_targets(self, step: int, epoch: int, probed: bool) -> bool:
        return not self.done and (step < self.WINDOW or probed)

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if self.done:
            return []
        if math.isfinite(ctx.loss):
            acc = self.losses.setdefault(str(ctx.epoch), [0.0, 0])
            acc[0], acc[1] = acc[0] + ctx.loss, acc[1] + 1
        if ctx.step < self.WINDOW or ctx.probe is not None:
            self._count_batch(ctx)
        for old in [k for k in self.losses if int(k) < ctx.epoch - 2]:
            del self.losses[old]  # a verdict compares an epoch with the one before it
        found: list[Finding] = []
        while self.judged + 1 < ctx.epoch and not self.done and not found:
            self.judged += 1
            found = self._judge(ctx, self.judged)
        if not self.done:
            self._tally(ctx)  # after judging: a new epoch's tally drops the oldest one
        return found

    def _count_batch(self, ctx: LiveContext) -> None:
        if ctx.host_targets is not None:
            pairs = host_classes(ctx.host_targets)
        else:
            labels = batch_classes(ctx.targets)
            pairs = target_counts(ctx, labels) if labels is not None else None
        for v, c in pairs or ():
            self.batch_counts[str(int(v))] = self.batch_counts.get(str(int(v)), 0) + int(c)

    def _tally(self, ctx: LiveContext) -> None:
        t = class_tally(ctx)
        if t is None:
            return
        key = str(ctx.epoch)
        if key not in self.tallies:
            c = t["classes"]
            self.tallies[key] = [[0.0] * c, [0.0] * c, [float(ctx.step)]]
            for old in [k for k in self.tallies if int(k) <= ctx.epoch - self.SPAN - 1]:
                del self.tallies[old]  # a verdict pools at most SPAN epochs
        seen, right, _ = self.tallies[key]
        for k in range(min(len(seen), t["classes"])):
            seen[k] += t["seen"][k]
            right[k] += t["correct"][k]

    def _counts(self, ctx: LiveContext) -> dict[int, int]:
        if ctx.label_counts:
            return {int(k): int(v) for k, v in ctx.label_counts.items()}
        return {int(k): v for k, v in self.batch_counts.items()}

    def _handled(self, ctx: LiveContext, counts: dict[int, int]) -> bool:
        """A class-weighted loss (weights falling as counts rise) or balanced batches."""
        known = known_weights(ctx.loss_fn, getattr(ctx.loop, "class_outputs", None))
        if known is not None:
            w = known[0]
            common = [c for c in counts if c in w and counts[c] > 0]
            ws = [w[c] for c in common]
            rho = rank_correlation(ws, [counts[c] for c in common])
            spread = min(ws) > 0 and max(ws) / min(ws) >= self.SPREAD if ws else False
            if spread and rho is not None and rho <= self.INVERSE:
                return True
        seen = {int(k): v for k, v in self.batch_counts.items()}
        if ctx.label_counts and sum(seen.values()) >= self.MIN_BATCH_SAMPLES:
            shares = [seen.get(c, 0) for c in counts]
            if max(shares) > 0 and min(shares) / max(shares) >= self.BALANCED:
                return True
        return False

    def _judge(self, ctx: LiveContext, epoch: int) -> list[Finding]:
        counts = self._counts(ctx)
        ev = imbalance_of(counts)
        if ev is None or ev["minority_count"] == 0:
            if ctx.label_counts:
                self.done = True  # the data is balanced enough (or has an empty class,
            return []  # which the preflight check already warns of)
        if self._handled(ctx, counts):
            self.done = True
            return []
        tally = self._merged(epoch, ev["small_classes"])
        if tally is None or epoch < 1:
            return []
        seen, right, epochs, first = tally
        small = [c for c in ev["small_classes"] if c < len(seen)]
        large = [c for c in counts if c not in small and c < len(seen)]
        n_small, n_large = sum(seen[c] for c in small), sum(seen[c] for c in large)
        if n_small < self.MIN_SMALL or n_large == 0:
            return []
        r_small = sum(right[c] for c in small) / n_small
        r_large = sum(right[c] for c in large) / n_large
        fall = self._loss_fall(epoch)
        if fall is None or fall < self.PLATEAU:
            return []  # the loss still falls: the small classes may come later
        if r_large < self.LEARNED or r_small > self.GAP * r_large:
            return []
        recall = {c: right[c] / seen[c] for c in sorted(counts) if c < len(seen) and seen[c]}
        acc = sum(right) / max(sum(seen), 1.0)
        span = f"epoch {epochs[0] + 1}" + (f"-{epochs[-1] + 1}" if len(epochs) > 1 else "")
        worst = ", ".join(f"class {c} {int(right[c])}/{int(seen[c])}" for c in small if seen[c] > 0)
        return [
            self.finding(
                ctx,
                f"The model ignores the small classes: on the probed training batches of "
                f"{span} it recalled them {pct(r_small)} of the time ({worst}) against "
                f"{pct(r_large)} for the other classes (overall accuracy {num(acc)}, "
                f"{pct(ev['majority_count'] / sum(counts.values()))} of the samples being class "
                f"{ev['majority_class']}), while the training loss has stopped falling "
                f"({num(fall)}x the epoch before's). The classes are imbalanced ({describe(ev)}), "
                "and neither the loss's class weights nor the batches make up for it.",
                FIX,
                step=int(first),
                epoch=epochs[0],
                where="predictions",
                evidence={
                    **ev,
                    "recall_small": r_small,
                    "recall_others": r_large,
                    "recall": recall,
                    "samples": {c: int(seen[c]) for c in sorted(counts) if c < len(seen)},
                    "accuracy": acc,
                    "epochs": [e + 1 for e in epochs],
                    "loss_ratio": fall,
                },
            )
        ]

    def _loss_fall(self, epoch: int) -> float | None:
        """The epoch's mean training loss over the epoch before's (None if either is
        missing)."""
        this, before = self.losses.get(str(epoch)), self.losses.get(str(epoch - 1))
        if not this or not before or not this[1] or not before[1] or before[0] <= 0:
            return None
        return (this[0] / this[1]) / (before[0] / before[1])

    def _merged(self, epoch: int, small: list[int]) -> tuple[Any, ...] | None:
        """``(seen, right, epochs, first step)`` of ``epoch``, with the epochs before it
        added (back to epoch 1, at most :attr:`SPAN` in all) until they hold
        :attr:`MIN_SMALL` small-class samples."""
        this = self.tallies.get(str(epoch))
        if this is None:
            return None
        seen, right, (first,) = [list(v) for v in this]
        epochs = [epoch]
        for e in range(epoch - 1, max(0, epoch - self.SPAN), -1):
            if sum(seen[c] for c in small if c < len(seen)) >= self.MIN_SMALL:
                break
            before = self.tallies.get(str(e))
            if before is None or len(before[0]) != len(seen):
                break
            seen = [a + b for a, b in zip(seen, before[0])]
            right = [a + b for a, b in zip(right, before[1])]
            epochs, first = [e, *epochs], before[2][0]
        return seen, right, epochs, first
