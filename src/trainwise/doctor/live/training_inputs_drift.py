"""``training_inputs_drift``: the training inputs change from one epoch to the next although
the data is the same.

The usual cause is a transform that works in place on the stored data: a ``Dataset`` whose
``__getitem__`` normalizes its stored sample (``sample.sub_(mean).div_(std)``) normalizes it
again at every read, so each epoch the inputs shrink further toward a constant while the
validation data (transformed once, or out of place) stay as they were.

Evidence (device work on probed steps only, read in the doctor's batched read): the mean and
variance of the step's float inputs. Per epoch they are pooled over its probed steps; the first
epoch with any is the reference (mean ``m0``, std ``s0``). An epoch *moved* when its std ratio
``s / s0`` is below 1/2 or above 2, or its mean shifted by more than one ``s0``, and by more
than twice the spread between the reference epoch's own batches (so heavy random augmentation,
whose batch statistics vary around a constant level, does not count). Rule: two consecutive
epochs with inputs (the current one judged on its probes so far) both moved, in the same
direction, and the later one moved again by a step of its own (its std another 1.5x further
from ``s0``, or its mean another half ``s0``, and more than twice that batch spread): a drift
that keeps going, epoch over epoch (warning). A one-off change (a new augmentation switched on
at some epoch) moves once and stays: not a drift.
Integer inputs (token ids) are not judged.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num

#: an epoch's input std at most 1/RATIO or at least RATIO times the reference's has moved
RATIO = 2.0
#: ... or its mean moved by more than this many reference standard deviations
SHIFT = 1.0
#: ... and by more than this many times the spread between the reference epoch's batches
NOISE = 2.0
#: the next epoch moved again: its std another 1.5x further, or its mean another half s0
STEP_RATIO = 1.5
STEP_SHIFT = 0.5


def float_inputs(inputs: Any) -> torch.Tensor | None:
    """The first floating-point tensor of ``inputs`` (itself, or in a list/tuple/dict)."""
    if isinstance(inputs, dict):
        items = list(inputs.values())
    else:
        items = list(inputs) if isinstance(inputs, list | tuple) else [inputs]
    return next(
        (t for t in items if isinstance(t, torch.Tensor) and t.is_floating_point() and t.numel()),
        None,
    )


def pooled(batches: list[list[float]]) -> tuple[float, float]:
    """Mean and std over batches given as ``[count, mean, variance, ...]``.

    >>> pooled([[2, 0.0, 1.0], [2, 2.0, 1.0]])
    (1.0, 1.4142135623730951)
    """
    n = sum(b[0] for b in batches)
    mean = sum(b[0] * b[1] for b in batches) / n
    second = sum(b[0] * (b[2] + b[1] ** 2) for b in batches) / n
    return mean, math.sqrt(max(second - mean**2, 0.0))


class TrainingInputsDrift(LiveRule):
    code = "training_inputs_drift"
    every_step = True  # reads what measure() queued on probed steps; other steps return at once
    _state = ("done", "epochs")

    def __init__(self) -> None:
        super().__init__()
        #: epoch (as str, JSON keys) -> the probed batches' [count, mean, variance, step]
        self.epochs: dict[str, list[list[float]]] = {}

    def measure(self, entry, layout, probed: bool) -> torch.Tensor | None:
        x = float_inputs(entry.inputs) if probed and not self.done else None
        if x is None:
            return None
        with torch.no_grad():
            var, mean = torch.var_mean(x.detach().float(), unbiased=False)
        return torch.stack([mean, var])

    def observe(self, ctx: LiveContext) -> list[Finding]:
        stats = ctx.notes.get(self.code)
        if not isinstance(stats, list) or not all(map(math.isfinite, stats)):
            return []  # only probed steps carry the inputs' statistics
        x = float_inputs(ctx.inputs)
        if x is None:
            return []
        self.epochs.setdefault(str(ctx.epoch), []).append([x.numel(), stats[0], stats[1], ctx.step])
        keys = sorted(self.epochs, key=int)
        if len(keys) < 3:
            return []
        ref = self.epochs[keys[0]]
        m0, s0 = pooled(ref)
        if not s0 > 0:
            return []
        spread_log = max(abs(math.log(max(b[2], 1e-300) ** 0.5 / s0)) for b in ref)
        spread_mean = max(abs(b[1] - m0) for b in ref) / s0
        moves = [self._moved(self.epochs[k], m0, s0) for k in keys[-2:]]
        (log1, shift1), (log2, shift2) = moves
        big_log = max(math.log(RATIO), NOISE * spread_log)
        big_shift = max(SHIFT, NOISE * spread_mean)
        # the later epoch further again by a move of its own (a one-off change stays put)
        step_log = max(math.log(STEP_RATIO), NOISE * spread_log)
        step_shift = max(STEP_SHIFT, NOISE * spread_mean)
        by_std = abs(log1) > big_log and log1 * log2 > 0 and abs(log2) - abs(log1) > step_log
        by_mean = (
            abs(shift1) > big_shift
            and shift1 * shift2 > 0
            and abs(shift2) - abs(shift1) > step_shift
        )
        if not (by_std or by_mean):
            return []
        return [self._finding(ctx, keys, m0, s0)]

    @staticmethod
    def _moved(batches, m0, s0) -> tuple[float, float]:
        """``(log(s / s0), (m - m0) / s0)`` of an epoch's pooled inputs."""
        m, s = pooled(batches)
        return math.log(max(s, 1e-300) / s0), (m - m0) / s0

    def _finding(self, ctx: LiveContext, keys: list[str], m0: float, s0: float) -> Finding:
        per = [(int(k), *pooled(self.epochs[k])) for k in keys]
        shown = per[:1] + per[1:][-3:]  # the reference epoch, then the latest
        stds = " -> ".join(f"{num(s)} (epoch {e + 1})" for e, _, s in shown)
        means = " -> ".join(num(m) for _, m, _ in shown)
        first = self.epochs[keys[-2]][0]  # the first probed step of the first moved epoch
        return self.finding(
            ctx,
            f"The training inputs change from epoch to epoch for the same data: their std went "
            f"{stds}, their mean {means}, further every epoch, far beyond what shuffling or "
            "random augmentation varies; the model chases a moving input while validation data stay as they were. Usually a "
            "transform works in place on the stored data (a Dataset whose __getitem__ "
            "normalizes its sample with sub_()/div_() or x -= mean), so each read transforms "
            "it again.",
            Fix(
                "transform a copy, never the stored data: x = (x - mean) / std into a new "
                "tensor (no sub_/div_/-= on the dataset's own tensors), or normalize once when "
                "the data is loaded"
            ),
            epoch=int(keys[-2]),
            step=int(first[3]),
            where="inputs",
            evidence={
                "epoch_stats": [{"epoch": e, "mean": m, "std": s} for e, m, s in per[-6:]],
                "reference_mean": m0,
                "reference_std": s0,
            },
        )
