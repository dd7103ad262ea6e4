"""``labels_collapsed`` (live): the targets of the whole first epoch hold (almost) one value.

The preflight check (``preflight/labels_collapsed.py``, same thresholds) sees the arrays
given to ``check_data``; a loop that never calls it, or that decodes its labels per batch
(``yb.long()`` on fractional targets inside the loop), is seen here from the batches' own
targets. Judged once, at the first step of the second epoch: only a whole epoch's targets
say what the data hold (a sorted dataset's first batches are all one class, which is
``unshuffled_data``, not a collapse).

Cost: a ``torch.unique`` of each batch's targets during the first epoch, and only until more
than :data:`MAX_VALUES` distinct values have appeared (the first batch or two of healthy
data), after which the rule is quiet for good.
"""

from __future__ import annotations

import torch

from trainwise.doctor.finding import Finding
from trainwise.doctor.live.context import LiveContext, target_counts
from trainwise.doctor.live.rule import LiveRule
from trainwise.doctor.preflight import labels_collapsed as pre
from trainwise.doctor.step_reader import HostTargets

#: more distinct target values than this: nothing has collapsed, stop counting
MAX_VALUES = 3


class LabelsCollapsed(LiveRule):
    code = "labels_collapsed"
    every_step = True
    _state = ("done", "counts", "integer")

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, int] = {}  # target value -> samples in the first epoch
        self.integer = True  # every target so far an integer tensor

    def reads_targets(self, step: int, epoch: int, probed: bool) -> bool:
        return not self.done and epoch == 0

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if self.done:
            return []
        if ctx.label_counts:
            self.done = True  # check_data saw the labels: the preflight check has judged
            return []
        if ctx.epoch >= 1:
            return self._judge(ctx)
        y = ctx.host_targets or ctx.targets  # the host copy of the doctor's batched read
        if not isinstance(y, (torch.Tensor, HostTargets)) or y.numel() == 0:
            return []
        if isinstance(y, HostTargets):
            fractional = y.is_floating_point() and any(v != round(v) for v in y.values)
        else:
            y = y.detach()
            fractional = y.is_floating_point() and not bool((y == y.round()).all())
        if fractional:
            self.done = True  # fractional targets: nothing was cast
            return []
        self.integer = self.integer and not y.is_floating_point()
        for v, c in target_counts(ctx, y):
            key = str(int(v))
            self.counts[key] = self.counts.get(key, 0) + int(c)
        if len(self.counts) > MAX_VALUES:
            self.done = True
        return []

    def _judge(self, ctx: LiveContext) -> list[Finding]:
        self.done = True
        n = sum(self.counts.values())
        if n < pre.MIN_SAMPLES:
            return []
        task = ctx.task or ("classification" if self.integer else "regression")
        values = [int(k) for k in self.counts for _ in range(self.counts[k])]
        found = pre.check_labels_collapsed(
            torch.tensor(values, dtype=torch.int64 if self.integer else torch.float32),
            task=task,
            field="targets",
        )
        if not found:
            return []
        f = found[0]
        return [
            self.finding(
                ctx,
                f.message.replace("in targets", "in the first epoch's batches"),
                f.fix,
                step=0,
                epoch=0,
                where="targets",
                evidence=f.evidence,
                severity=f.severity,
            )
        ]
