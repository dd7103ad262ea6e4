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
#: the densest late interval, and the interval when the run's length is unknown
MIN_EVERY = 16


def auto_every(total_steps: int | None) -> int:
    """The late probe interval: about :data:`PROBES_PER_RUN` probes over a long run, at most
    every 100th step; :data:`MIN_EVERY` (16) for runs under ~1,000 steps and when the run's
    length is unknown.

    Why not denser on short runs: a probe costs a few milliseconds of Python whatever the
    model's size (the rules, the hooks, the reads), about half a step of a small CNN, so
    ~64 probes made a 290-step run ~10% slower; the first 32 steps (16 probes) and the
    doubling after them are the same for every run, and a fault that appears later persists
    over many steps (the rules want 3 probes in a row), so one probe in 16 steps finds it, as
    it does in runs of unknown length (every real-bug benchmark run).

    >>> auto_every(960), auto_every(None), auto_every(50), auto_every(2048)
    (16, 16, 16, 32)
    """
    if total_steps is None:
        return MIN_EVERY
    return int(min(100, max(MIN_EVERY, round(total_steps / PROBES_PER_RUN))))


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
