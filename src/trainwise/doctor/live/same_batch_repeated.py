"""``same_batch_repeated``: every optimizer step trains on the same batch.

The usual cause is ``next(iter(loader))`` inside the step loop: a fresh iterator of an
unshuffled loader hands out its first batch every time, so the model fits a handful of samples
and never sees the rest of the data.

Evidence (device work on probed steps only, read in the doctor's batched read): a fingerprint
of the step's batch, per tensor of the inputs and the targets its sum, sum of squares and a
row-weighted sum (row ``i``'s sum times ``i + 1``, so the same rows in another order differ;
the row count is read from the shape). Rule: the fingerprint and row count are the same (to
1e-6 relative) on :attr:`SameBatchRepeated.NEED` (4) consecutive probed steps, and the data is
known to hold more than that batch, so full-batch training (one batch per epoch is the whole
data) stays silent:

- ``check_data`` was given more training rows than the batch holds; or
- without ``check_data``: two of the identical probed steps fell in one epoch that has since
  ended (``epoch_end`` was called), so that epoch had several steps and all were this batch.

A loop with neither (no ``check_data``, no ``epoch_end``) is not judged: a fixed batch could be
its whole data. A deliberate "overfit one batch" check does fire: the message says so.

Batches that differ but repeat a handful of samples (a ``WeightedRandomSampler`` given one
weight per *class*, which draws only indices below the number of classes) are the same
family: each probed step also sends a per-row fingerprint of the inputs (each row's dot
product with a fixed pseudo-random vector, read in the same batched read), and the distinct
rows seen are counted. Rule: ``check_data`` was given ``N`` training rows, more than
:attr:`SameBatchRepeated.FEW_BATCHES` (4) batches; after :attr:`SameBatchRepeated.PROBES` (8)
probed batches the distinct rows ``D`` among the ``R`` rows seen are at most a quarter of what
``R`` draws from ``N`` rows give (``N (1 - exp(-R/N))``) and at most ``N / 8``. Silent: shuffled
loaders, per-sample weighted sampling with replacement, datasets of a few batches.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule

#: fingerprints closer than this (relative) are the same batch: float32 sums of one batch
#: are reproducible, two different batches differ in every sum by far more
SAME = 1e-6


def batch_tensors(*values: Any) -> list[torch.Tensor]:
    """The tensors of a batch: each tensor given, or those in a list/tuple/dict (one level).

    >>> len(batch_tensors(torch.ones(2), (torch.ones(1), "x"), None))
    2
    """
    out: list[torch.Tensor] = []
    for v in values:
        items = v.values() if isinstance(v, dict) else v if isinstance(v, list | tuple) else [v]
        out += [t for t in items if isinstance(t, torch.Tensor) and t.numel() > 0]
    return out


def fingerprint(*values: Any) -> torch.Tensor | None:
    """Per tensor of ``values`` (see :func:`batch_tensors`): its sum, sum of squares and
    row-weighted sum, as one float32 device tensor (None without tensors). No host read.

    >>> fingerprint(torch.tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [10.0, 30.0, 17.0]
    """
    parts = []
    with torch.no_grad():
        for t in batch_tensors(*values):
            x = t.detach().float()
            rows = x.reshape(x.shape[0], -1) if x.ndim else x.reshape(1, 1)
            per_row = rows.sum(1)
            weights = torch.arange(1, len(per_row) + 1, device=x.device, dtype=x.dtype)
            parts += [per_row.sum().reshape(1), rows.square().sum().reshape(1)]
            parts.append((per_row @ weights).reshape(1))
    return torch.cat(parts) if parts else None


def row_prints(inputs: Any) -> torch.Tensor | None:
    """One number per row of the first tensor of ``inputs``: its dot product with a fixed
    pseudo-random vector (float32, on the device; None without a tensor). No host read.

    >>> x = torch.tensor([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0]])
    >>> a, b, c = row_prints(x).tolist()
    >>> a == b != c
    True
    """
    tensors = [t for t in batch_tensors(inputs) if t.ndim >= 1]
    if not tensors:
        return None
    with torch.no_grad():
        x = tensors[0].detach().float()
        rows = x.reshape(x.shape[0], -1)
        k = torch.arange(rows.shape[1], device=x.device, dtype=torch.float32)
        weights = torch.sin(k * 12.9898 + 1.0) * 0.5 + 1.0  # irrational steps: rows differ
        return rows @ weights


def row_key(v: float) -> str:
    """A row fingerprint rounded to 6 significant figures (float32 sums of one row agree)."""
    return f"{v:.6g}"


def batch_rows(*values: Any) -> int | None:
    """The rows of the first tensor of ``values`` (a shape: no device work)."""
    tensors = batch_tensors(*values)
    return int(tensors[0].shape[0]) if tensors and tensors[0].ndim else None


def same(a: list[float], b: list[float]) -> bool:
    """True when two fingerprints agree to :data:`SAME` (relative)."""
    if len(a) != len(b):
        return False
    return all(abs(u - v) <= SAME * max(1.0, abs(u), abs(v)) for u, v in zip(a, b))


class SameBatchRepeated(LiveRule):
    code = "same_batch_repeated"
    severity = "error"
    every_step = True  # measure() sees every step recorded; fingerprints only probed ones
    NEED = 4
    PROBES = 8  # probed batches before the distinct rows are judged
    FEW_BATCHES = 4  # data of at most this many batches repeats rows by design
    MAX_KEYS = 4096  # distinct row keys kept (beyond this, the rows are plenty)
    _state = (
        "done",
        "last",
        "run",
        "since",
        "epochs",
        "rows",
        "keys",
        "seen",
        "probed",
        "constant",
    )

    def __init__(self) -> None:
        super().__init__()
        self.last: list[float] | None = None  # the previous probed step's fingerprint
        self.run = 0  # consecutive probed steps with that fingerprint
        self.since: list[int] | None = None  # [step, epoch] where the run began
        self.epochs: list[int] = []  # the epoch of each probed step of the run
        self.rows: int | None = None  # the repeated batch's rows
        self.keys: list[str] = []  # distinct row fingerprints seen (at most MAX_KEYS)
        self.seen = 0  # rows fingerprinted
        self.probed = 0  # probed batches fingerprinted
        #: a probed batch whose rows were all identical: the inputs themselves hold (next to)
        #: no distinct rows (features wiped to zeros: ``unnormalized_inputs`` names that), so a
        #: handful of distinct rows says nothing about the sampler
        self.constant = False

    def measure(self, entry, layout, probed: bool) -> torch.Tensor | None:
        if self.done or not probed:
            return None
        fp = fingerprint(entry.inputs, entry.targets)
        if fp is None:
            return None
        per_row = row_prints(entry.inputs)
        if per_row is None:
            per_row = fp[:0]
        # one tensor, one batched read: [len(fp), *fp, *per_row]
        head = torch.tensor([float(len(fp))], device=fp.device)
        return torch.cat([head, fp, per_row.to(fp.device)])

    def observe(self, ctx: LiveContext) -> list[Finding]:
        note = ctx.notes.get(self.code)
        if not isinstance(note, list) or not note:
            return []  # judged on probed steps only: their epochs are enough
        k = int(note[0])
        fp, per_row = note[1 : 1 + k], note[1 + k :]
        self._add(fp, ctx)
        few = self._few_rows(per_row, ctx)
        if few is not None:
            return [few]
        if self.run < self.NEED:
            return []
        # a step of a later epoch proves the epoch of two identical probes had several steps
        ended = [e for e in set(self.epochs) if self.epochs.count(e) >= 2 and e < ctx.epoch]
        rows = ctx.train_rows
        if rows is not None and self.rows is not None:
            if self.rows >= rows:
                return []  # full-batch training: one batch per epoch is the whole data
        elif not ended:
            return []
        return [self._finding(ctx, rows)]

    def _few_rows(self, per_row: list[float], ctx: LiveContext) -> Finding | None:
        """The distinct-row check (batches that differ but repeat a handful of samples)."""
        if not per_row or self.constant:
            return None
        if len(per_row) > 1 and len({row_key(v) for v in per_row}) == 1:
            self.constant = True
            return None
        self.probed += 1
        self.seen += len(per_row)
        if len(self.keys) < self.MAX_KEYS:
            self.keys = sorted(set(self.keys) | {row_key(v) for v in per_row})[: self.MAX_KEYS]
        n = ctx.train_rows
        if n is None or self.probed < self.PROBES or n <= self.FEW_BATCHES * len(per_row):
            return None
        distinct = len(self.keys)
        if distinct >= self.MAX_KEYS:
            return None  # thousands of distinct rows: no handful repeated
        expected = n * (1 - math.exp(-self.seen / n))
        if 4 * distinct > expected or 8 * distinct > n:
            return None
        return self.finding(
            ctx,
            f"The batches repeat a handful of samples: {distinct} distinct input rows among the "
            f"{self.seen} rows of {self.probed} probed batches, of the {n} training samples "
            f"check_data was given (random draws would give about {expected:.0f}), so the model "
            "fits these few samples and never sees the rest of the data; usually a "
            "WeightedRandomSampler given one weight per class instead of one per sample (it "
            "draws only indices below len(weights)), or an index list that covers a few rows "
            "(ignore this if the data holds only that many distinct rows).",
            Fix(
                "check the sampler/iteration: WeightedRandomSampler needs one weight per sample "
                "(weights = class_weight[y], num_samples=len(dataset)); iterate the loader once "
                "per epoch over the whole dataset"
            ),
            where="batches",
            evidence={
                "distinct_rows": distinct,
                "rows_seen": self.seen,
                "probed_batches": self.probed,
                "train_rows": n,
                "expected_distinct_rows": expected,
            },
        )

    def _add(self, fp: list[float], ctx: LiveContext) -> None:
        rows = batch_rows(ctx.inputs, ctx.targets)
        if self.last is not None and same(fp, self.last) and rows == self.rows:
            self.run += 1
            self.epochs.append(ctx.epoch)
        else:
            self.run, self.since, self.epochs = 1, [ctx.step, ctx.epoch], [ctx.epoch]
            self.rows = rows
        self.last = fp
        del self.epochs[: -4 * self.NEED]  # only the recent probes are needed

    def _finding(self, ctx: LiveContext, rows: int | None) -> Finding:
        of = (
            f"of the {rows} training samples check_data was given"
            if rows is not None
            else "although an epoch had several steps"
        )
        return self.finding(
            ctx,
            f"Every optimizer step trains on the same batch: the inputs and targets of "
            f"{self.run} probed steps in a row (steps {self.since[0]} to {ctx.step}) are "
            f"identical, {self.rows} samples {of}, so the model fits these few samples and "
            "never sees the rest of the data; usually next(iter(loader)) is called inside the "
            "step loop, which restarts the loader at its first batch every step (ignore this "
            "if overfitting one batch is a deliberate check).",
            Fix(
                "iterate the loader once per epoch (for x, y in loader: ...), or keep one "
                "iterator and call next() on it, re-creating it only when it is exhausted"
            ),
            step=self.since[0],
            epoch=self.since[1],
            where="batches",
            evidence={
                "identical_probed_steps": self.run,
                "since_step": self.since[0],
                "batch_rows": self.rows,
                "train_rows": rows,
                "fingerprint": self.last,
            },
        )
