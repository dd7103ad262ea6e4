"""The doctor's lazy per-step read: what an optimizer step leaves for the rules, and the one
host transfer that reads a window of them.

On a GPU, ``float(loss)`` waits for every kernel queued so far, so a doctor that read each
step's loss at once would serialise the device. Instead :meth:`Doctor.step` records a
:class:`StepEntry` (the loss tensor, the batch's tensors by reference, the Python facts of the
moment: learning rate, epoch) and :class:`StepReader` reads the pending entries' losses, and
the targets of the entries whose rules want them, in **one** transfer (:meth:`StepReader.read`)
every ``read_every`` steps, at a probed step, at ``epoch_end`` and whenever findings or state
are asked for. The rules then judge each entry in step order, exactly as if it had been read
at once; only the moment their findings appear moves (up to ``read_every`` steps later).

Memory: per pending entry, references to the step's inputs, targets and outputs (the
outputs only in a plain loop without a replay; see :mod:`~trainwise.doctor.trainer_replay`
for the copy a Trainer run keeps to replay a non-finite step).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch

#: Steps between two reads of the pending losses (``Doctor(read_every=...)``'s default).
READ_EVERY = 32
#: Targets larger than this (a segmentation mask) are not copied to the host in the batched
#: read: a rule that wants them reads them on the device itself, at the read.
HOST_TARGETS_MAX = 65536


@dataclass(eq=False)
class StepEntry:
    """One optimizer step as :meth:`Doctor.step` saw it, waiting to be judged.

    ``loss`` is the step's loss (a tensor, read later, or a float); ``value`` the float once
    read; ``pre`` what :meth:`Doctor.after_backward` kept eagerly (probed steps);
    ``snapshot`` the prober's last weight copy at the time (the NaN replay's fallback);
    ``finite_out`` a device flag (outputs all finite) kept when no replay can recompute them;
    ``want_targets`` whether a rule wants this step's targets on the host (``host`` then holds
    them after the read).
    """

    step: int
    epoch: int
    loss: Any
    lr: float | None = None
    max_lr: float | None = None
    task: str | None = None
    inputs: Any = None
    targets: Any = None
    outputs: Any = None
    pre: dict[str, Any] | None = None
    snapshot: Any = None
    finite_out: torch.Tensor | None = None
    want_targets: bool = False
    value: float | None = None
    outputs_finite: bool | None = None
    host: HostTargets | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    probe: Any = field(default=None, repr=False)


@dataclass
class HostTargets:
    """A batch's targets as copied to the host by the doctor's batched read.

    >>> h = HostTargets([1, 0, 1], (3,), torch.int64)
    >>> h.counts(), h.is_floating_point(), h.ndim
    ([(0, 1), (1, 2)], False, 1)
    """

    values: list
    shape: tuple
    dtype: torch.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def numel(self) -> int:
        return len(self.values)

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def counts(self) -> list[tuple[Any, int]]:
        """``(value, count)`` pairs in ascending value order (as ``torch.unique`` gives)."""
        return sorted(Counter(self.values).items())


class StepReader:
    """The pending :class:`StepEntry` list and its batched read.

    Args:
        every: steps between reads (default :data:`READ_EVERY`); 1 reads every step.

    Example::

        >>> reader = StepReader(every=2)
        >>> reader.add(StepEntry(0, 0, torch.tensor(1.5)))
        False
        >>> reader.add(StepEntry(1, 0, torch.tensor(float("nan"))))
        True
        >>> [e.value for e in reader.read()]
        [1.5, nan]
    """

    def __init__(self, every: int = READ_EVERY):
        self.every = every
        self.pending: list[StepEntry] = []

    def __len__(self) -> int:
        return len(self.pending)

    def add(self, entry: StepEntry) -> bool:
        """Queue ``entry``; True when the window is full (time to :meth:`read`)."""
        self.pending.append(entry)
        return len(self.pending) >= self.every

    def read(self, extra: StepEntry | None = None) -> list[StepEntry]:
        """Take the pending entries (plus ``extra``), fill in their values with one host
        transfer, and return them in step order."""
        entries = self.pending + ([extra] if extra is not None else [])
        self.pending = []
        read_values(entries)
        return entries


def read_values(entries: list[StepEntry]) -> None:
    """One transfer for everything ``entries`` still hold on the device: each loss, each
    outputs-finite flag, the targets a rule wants and the tensors in ``notes`` (a rule's
    ``measure``, each becoming a list of floats), flattened into one float64 vector
    (exact for every float up to 64 bits and integers up to 2**53)."""
    parts: list[torch.Tensor] = []
    plan: list[tuple[StepEntry, str, int]] = []
    for e in entries:
        if e.value is None and isinstance(e.loss, torch.Tensor):
            plan.append((e, "loss", 1))
            parts.append(e.loss.detach().reshape(-1)[:1].to(torch.float64))
        elif e.value is None:
            e.value = float(e.loss)  # a Python number given by a plain loop: no device
        if e.finite_out is not None:
            plan.append((e, "out", 1))
            parts.append(e.finite_out.reshape(1).to(torch.float64))
        targets = e.targets
        if (
            e.want_targets
            and isinstance(targets, torch.Tensor)
            and targets.numel() <= HOST_TARGETS_MAX
        ):
            flat = e.targets.detach().reshape(-1)
            plan.append((e, "targets", flat.numel()))
            parts.append(flat.to(torch.float64))
        for code, v in e.notes.items():  # what a rule's measure() queued on the device
            if isinstance(v, torch.Tensor):
                plan.append((e, "note:" + code, v.numel()))
                parts.append(v.detach().reshape(-1).to(torch.float64))
    if not parts:
        return
    device = parts[0].device
    flat = torch.cat([p.to(device) for p in parts]).tolist()  # the one host read
    i = 0
    for e, what, n in plan:
        chunk, i = flat[i : i + n], i + n
        if what == "loss":
            e.value = chunk[0]
        elif what == "out":
            e.outputs_finite = bool(chunk[0])
        elif what.startswith("note:"):
            e.notes[what[5:]] = chunk
        else:
            t = e.targets
            vals = chunk if t.dtype.is_floating_point else [int(v) for v in chunk]
            e.host = HostTargets(vals, tuple(t.shape), t.dtype)
