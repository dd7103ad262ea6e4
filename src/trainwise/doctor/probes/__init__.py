"""Probes: what the doctor reads from a model on probed steps (see :mod:`.prober`)."""

from trainwise.doctor.probes.activations import ActivationProbe
from trainwise.doctor.probes.layout import ModelLayout
from trainwise.doctor.probes.nonfinite import all_finite, replay_forward
from trainwise.doctor.probes.prober import Prober
from trainwise.doctor.probes.reading import ProbeReading
from trainwise.doctor.probes.schedule import ProbeSchedule, auto_every

__all__ = [
    "ActivationProbe",
    "ModelLayout",
    "ProbeReading",
    "ProbeSchedule",
    "Prober",
    "all_finite",
    "auto_every",
    "replay_forward",
]
