"""``unshuffled_data`` (live): the batches the model trains on hold a single class again and
again although the data has several.

For every step of the first :attr:`WINDOW` (64) steps, then on probes, it counts the
single-class batches among the labelled batches seen. Under shuffling a batch of ``B`` samples
is single-class with probability ``sum_c p_c^B`` (``p_c``: the class shares the doctor knows,
from ``check_data`` or from the batches so far), so the expected count and its variance are
known. It fires when at least :attr:`MIN_SINGLE` (3) batches were single-class, they are at
least half of those seen, at least two classes have been seen, and the count exceeds its
expectation by :attr:`SIGMAS` (5) standard deviations plus one. An imbalanced but shuffled
dataset with small batches therefore stays quiet. Classification targets only (integer class
indices, or 0/1 floats).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext, target_counts
from trainwise.doctor.live.rule import LiveRule, num
from trainwise.doctor.step_reader import HostTargets


def batch_classes(targets: Any) -> torch.Tensor | None:
    """Integer class labels of a batch, or None for targets that are not class labels."""
    if not isinstance(targets, torch.Tensor) or targets.ndim == 0:
        return None
    t = targets.detach()
    if t.ndim == 2 and t.shape[1] == 1:
        t = t[:, 0]
    if t.ndim != 1:
        return None
    if t.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
        return t.long()
    if t.is_floating_point() and bool(((t == 0) | (t == 1)).all()):
        return t.long()
    return None


def host_classes(h: HostTargets) -> list[tuple[int, int]] | None:
    """:func:`batch_classes` of targets already on the host, as ``(class, count)`` pairs in
    class order (None for targets that are not class labels)."""
    shape = h.shape[:1] if len(h.shape) == 2 and h.shape[1] == 1 else h.shape
    if len(shape) != 1:
        return None
    if h.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
        return h.counts()
    if h.is_floating_point() and all(v in (0, 1) for v in h.values):
        return [(int(v), c) for v, c in h.counts()]
    return None


class UnshuffledData(LiveRule):
    code = "unshuffled_data"
    every_step = True
    WINDOW = 64
    MIN_SINGLE = 3
    SIGMAS = 5.0
    _state = ("done", "batches", "single", "counts", "first_single")

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[int]] = []  # [batch size, single-class 0/1] per batch seen
        self.single = 0
        self.counts: dict[str, int] = {}  # class -> samples seen in batches
        self.first_single: list[int] | None = None  # [step, epoch]

    def reads_targets(self, step: int, epoch: int, probed: bool) -> bool:
        return not self.done and (step < self.WINDOW or probed)

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if self.done or (ctx.step >= self.WINDOW and ctx.probe is None):
            return []
        if ctx.host_targets is not None:  # copied in the doctor's batched read: no device read
            pairs = host_classes(ctx.host_targets)
        else:
            labels = batch_classes(ctx.targets)
            pairs = target_counts(ctx, labels) if labels is not None else None
        size = sum(c for _, c in pairs) if pairs is not None else 0
        if size < 2:
            return []
        for v, c in pairs:
            self.counts[str(v)] = self.counts.get(str(v), 0) + c
        is_single = len(pairs) == 1
        self.batches.append([size, int(is_single)])
        if is_single:
            self.single += 1
            if self.first_single is None:
                self.first_single = [ctx.step, ctx.epoch]
        known = ctx.label_counts or {int(k): v for k, v in self.counts.items()}
        total = sum(known.values())
        if len(known) < 2 or self.single < self.MIN_SINGLE or total == 0:
            return []
        n = len(self.batches)
        if self.single < 0.5 * n:
            return []
        shares = [c / total for c in known.values()]
        probs = [sum(p**b for p in shares) for b, _ in self.batches]
        expected = sum(probs)
        sd = math.sqrt(sum(p * (1 - p) for p in probs))
        if self.single <= expected + self.SIGMAS * sd + 1:
            return []
        step, epoch = self.first_single
        return [
            self.finding(
                ctx,
                f"{self.single} of the {n} training batches seen held a single class (about "
                f"{num(expected)} expected if shuffled, {len(known)} classes in the data), so the "
                "data reaches the model sorted by label.",
                Fix(
                    "shuffle the training data every epoch (DataLoader(shuffle=True))",
                    {"data.shuffle": True},
                ),
                step=step,
                epoch=epoch,
                where="batches",
                evidence={
                    "single_class_batches": self.single,
                    "batches": n,
                    "expected_if_shuffled": expected,
                    "classes": len(known),
                },
            )
        ]
