"""What a live rule sees at one step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from trainwise.doctor.live.loss_track import LossTrack
from trainwise.doctor.probes.layout import ModelLayout
from trainwise.doctor.probes.reading import ProbeReading
from trainwise.doctor.step_reader import HostTargets


@dataclass
class LiveContext:
    """One optimizer step as the rules see it.

    ``loss`` is the step's loss as a float (may be NaN/inf); ``probe`` is the step's
    :class:`ProbeReading` on probed steps, else None; ``probes`` the recent readings (oldest
    first, this one last); ``lr``/``max_lr`` the first param group's learning rate now and
    the largest seen so far; ``fired`` the codes already reported (any stage); ``locate`` a
    callable returning the NaN replay's result (see
    :func:`~trainwise.doctor.probes.nonfinite.replay_forward`) or None without inputs;
    ``label_counts`` class -> count from the data the doctor has seen (``check_data`` or
    batches); ``regularization`` the strengths the doctor was told (``{"l2": ...}``, see
    :func:`~trainwise.doctor.attach.regularization_of`); ``loop`` the doctor's
    :class:`~trainwise.doctor.live.loop_watch.LoopWatch` (optimizer steps, the loss's graph,
    stale gradients), None when a rule is driven without a doctor; ``host_targets`` the
    batch's targets as copied to the host by the doctor's batched read, when a rule asked for
    them (:meth:`~trainwise.doctor.live.rule.LiveRule.reads_targets`; read them with
    :func:`target_counts`), else None; ``notes`` what each rule's
    :meth:`~trainwise.doctor.live.rule.LiveRule.note` returned when the step was recorded
    (code -> value; empty when a rule is driven without a doctor; a tensor a rule's
    ``measure`` returned arrives as a list of floats); ``train_rows`` the training samples
    ``check_data`` was given (None without it). The doctor judges an
    ordinary step when its loss has been read (up to ``read_every`` steps later): ``outputs``
    is then None (kept only on probed steps and with ``read_every=1``: a language model's
    logits are large), and anything a rule reads from live objects (the model's mode, the
    optimizer) must be noted at the step with ``note``.
    """

    step: int
    epoch: int
    loss: float
    losses: LossTrack
    layout: ModelLayout
    probe: ProbeReading | None = None
    probes: list[ProbeReading] = field(default_factory=list)
    inputs: Any = None
    targets: Any = None
    outputs: Any = None
    task: str | None = None
    loss_fn: Any = None
    total_steps: int | None = None
    lr: float | None = None
    max_lr: float | None = None
    fired: set[str] = field(default_factory=set)
    locate: Callable[[], dict[str, Any] | None] | None = None
    label_counts: dict[int, int] = field(default_factory=dict)
    regularization: dict[str, Any] = field(default_factory=dict)
    loop: Any = None
    host_targets: HostTargets | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    train_rows: int | None = None


def target_counts(ctx: LiveContext, values: Any) -> list[tuple[Any, int]]:
    """``(value, count)`` pairs of ``values`` (the targets, or a tensor derived from them
    without changing their values) in ascending order: from ``ctx.host_targets`` when the
    doctor's batched read brought them (no device read), else one ``torch.unique``.

    >>> import torch
    >>> target_counts(LiveContext(0, 0, 1.0, None, None), torch.tensor([2, 0, 2]))
    [(0, 1), (2, 2)]
    """
    if ctx.host_targets is not None:
        return ctx.host_targets.counts()
    uniq, counts = torch.unique(values.reshape(-1), return_counts=True)
    return list(zip(uniq.tolist(), counts.tolist()))
