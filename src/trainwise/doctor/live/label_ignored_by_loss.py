"""``label_ignored_by_loss``: the loss's ``ignore_index`` is a real class of the targets.

``CrossEntropyLoss(ignore_index=0)`` copied from sequence code, where id 0 is padding, onto a
task whose class 0 is real: every sample of that class is dropped from the loss, so it adds
nothing to the gradient and the class is never learned.

Evidence (no device read of its own): the NLL node of the loss's autograd graph saves its
``ignore_index`` as a plain int, still readable after ``backward`` (-100, the default, means
none), and the width C of the scores it was fed (the node under it records their shape); the
targets of probed steps come to the host in the doctor's batched read. Rule: ``ignore_index``
lies in ``[0, C)`` and, over at least :attr:`LabelIgnoredByLoss.NEED` (3) probed batches, it
is >= 1/(2C) of the target values. In sequence targets (2-D and more) the ignored value must
also stand inside rows, not only as a run at their end or start (padding).
A loss with no NLL node on its first :attr:`LabelIgnoredByLoss.TRIES` (3) probed steps (MSE,
BCE) is not judged, and its targets are no longer asked for.

Silent: ``ignore_index=-100``; a padding id outside ``[0, C)``; padding runs at the ends of
sequence rows; an ignored class that is rare in the targets.
"""

from __future__ import annotations

from typing import Any

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.loss_graph import op_name
from trainwise.doctor.live.rule import LiveRule

NLL_OPS = {"NllLoss", "NllLoss2D"}


def read_ignore_index(loss: Any, depth: int = 6) -> tuple[int, int | None] | None:
    """``(ignore_index, C)`` of the first NLL node within ``depth`` nodes of ``loss``'s graph
    (C from the shape of the scores under it, None when not recorded), or None without one.

    >>> import torch
    >>> x = torch.randn(4, 3, requires_grad=True)
    >>> loss = torch.nn.functional.cross_entropy(x, torch.tensor([0, 1, 2, 0]), ignore_index=0)
    >>> read_ignore_index(loss), read_ignore_index(torch.nn.functional.cross_entropy(x, x))
    ((0, 3), None)
    """
    level = [getattr(loss, "grad_fn", None)]
    for _ in range(depth):
        nxt = []
        for f in level:
            if f is None:
                continue
            kids = [k for k, _ in getattr(f, "next_functions", ()) if k is not None]
            if op_name(f) in NLL_OPS:
                v = int(f._saved_ignore_index)
                v = v - 2**64 if v >= 2**63 else v  # saved unsigned: -100 reads 2**64 - 100
                return v, _width(kids[0]) if kids else None
            nxt += kids
        level = nxt[:64]
    return None


def _width(fn: Any) -> int | None:
    try:
        shape = fn._input_metadata[0].shape
        return int(shape[1]) if len(shape) >= 2 else None
    except Exception:  # a node without metadata
        return None


def _inside_rows(values: list, shape: tuple, ignored: int) -> int:
    """How many ``ignored`` values of sequence targets stand inside their rows (not in a run
    touching the row's end or start: padding)."""
    width = shape[-1]
    inside = 0
    for r in range(0, len(values), width):
        row = values[r : r + width]
        lo = 0
        while lo < len(row) and row[lo] == ignored:
            lo += 1
        hi = len(row)
        while hi > lo and row[hi - 1] == ignored:
            hi -= 1
        inside += sum(1 for v in row[lo:hi] if v == ignored)
    return inside


class LabelIgnoredByLoss(LiveRule):
    code = "label_ignored_by_loss"
    severity = "warning"
    every_step = True  # measure()/reads_targets() are offered to every-step rules; probed only
    NEED = 3
    TRIES = 3  # probed steps without an NLL node in the loss's graph before giving up
    _state = ("done", "ignore", "width", "batches", "total", "hit", "tries")

    def __init__(self) -> None:
        super().__init__()
        self.ignore: int | None = None  # the loss's ignore_index once read
        self.width: int | None = None
        self.batches = 0  # probed batches whose targets were counted
        self.total = 0  # target values counted
        self.hit = 0  # of them equal to ignore_index (inside rows, for sequences)
        self.tries = 0  # probed steps whose graph was searched for the NLL node

    def _candidate(self) -> bool:
        return self.ignore is None or (self.width is not None and 0 <= self.ignore < self.width)

    def reads_targets(self, step: int, epoch: int, probed: bool) -> bool:
        return probed and not self.done and self._candidate()

    def measure(self, entry, layout, probed: bool) -> None:
        if probed and self.ignore is None and not self.done:
            try:
                found = read_ignore_index(entry.loss)
            except Exception:  # an exotic graph: not judged
                found = None
            self.tries += 1
            if found is not None:
                self.ignore, self.width = found
            elif self.tries >= self.TRIES:
                self.ignore = -100  # no NLL loss (MSE, BCE, ...): no targets to copy
        return None

    def observe(self, ctx: LiveContext) -> list[Finding]:
        host = ctx.host_targets
        if host is None or self.ignore is None or not self._candidate():
            return []
        if host.is_floating_point() or not host.values:
            return []
        if host.ndim >= 2 and host.shape[-1] > 1:
            hit = _inside_rows(host.values, host.shape, self.ignore)
        else:
            hit = sum(1 for v in host.values if v == self.ignore)
        self.batches += 1
        self.total += len(host.values)
        self.hit += hit
        if self.batches < self.NEED or self.hit * 2 * self.width < self.total:
            return []
        return [self._finding(ctx)]

    def _finding(self, ctx: LiveContext) -> Finding:
        share = self.hit / self.total
        return self.finding(
            ctx,
            f"The loss ignores a real class: its ignore_index is {self.ignore}, which is one of "
            f"the {self.width} classes of the output and {share:.0%} of the targets "
            f"({self.hit} of {self.total} on {self.batches} probed batches). Those samples add "
            "nothing to the loss or its gradient, so the model never learns that class.",
            Fix(
                "use ignore_index only for a padding id that is not a class (leave the "
                "default -100); give padding a label outside 0..C-1"
            ),
            where="loss",
            evidence={
                "ignore_index": self.ignore,
                "classes": self.width,
                "ignored_share": share,
                "ignored_targets": self.hit,
                "targets_seen": self.total,
            },
        )
