"""Which optimizer steps the doctor probes.

A probe reads per-layer gradients, update/weight ratios and activation statistics for one step.
Faults that are there from the start (bad init, wrong learning rate, dead units) show in the
first steps, so the first ``dense`` steps are all probed; after that the interval doubles until
it reaches ``every``, which keeps the cost of a long run near ``1 / every`` of a probe per step
while still judging early.
"""

from __future__ import annotations

from trainwise.errors import ArgumentTypeError

#: probes per planned run when the run's length is known (see :func:`auto_every`)
PROBES_PER_RUN = 64


def auto_every(total_steps: int | None) -> int:
    """The late probe interval: about :data:`PROBES_PER_RUN` probes over the run, at least
    every 4th and at most every 100th step; 16 when the run's length is unknown.

    >>> auto_every(960), auto_every(None), auto_every(50)
    (15, 16, 4)
    """
    if total_steps is None:
        return 16
    return int(min(100, max(4, round(total_steps / PROBES_PER_RUN))))


class ProbeSchedule:
    """Every step below ``dense`` (default 8), then every 2nd, 4th, ... step (the interval
    doubles at steps 16, 32, 64, ...), capped at ``every`` (default 16).

    >>> s = ProbeSchedule(every=16)
    >>> [t for t in range(70) if s.is_probe(t)]
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64]
    """

    def __init__(self, every: int = 16, dense: int = 8):
        for name, v in (("every", every), ("dense", dense)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ArgumentTypeError(f"probe {name}: {v!r} is not allowed; allowed: an int >= 1")
        self.every = every
        self.dense = dense

    def interval(self, step: int) -> int:
        """The probe interval in force at ``step`` (1 during the dense start)."""
        if step < self.dense:
            return 1
        k = 2
        while k < self.every and step >= self.dense * k:
            k *= 2
        return min(k, self.every)

    def is_probe(self, step: int) -> bool:
        return step % self.interval(step) == 0
