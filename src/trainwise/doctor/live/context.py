"""What a live rule sees at one step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trainwise.doctor.live.loss_track import LossTrack
from trainwise.doctor.probes.layout import ModelLayout
from trainwise.doctor.probes.reading import ProbeReading


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
    stale gradients), None when a rule is driven without a doctor.
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
