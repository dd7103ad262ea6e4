"""The default backend of a comparison: trials in worker processes of this machine.

Each worker process is started with the "spawn" method (forking a process that has torch
threads running can deadlock) and runs ``cores // W`` torch threads, so W workers share the
cores instead of each using all of them. A worker that dies (killed, out of memory) breaks
the pool: its trial and the ones not yet finished are recorded "failed", and repeating the
command resumes them from their checkpoints (the Ray backend retries them at once instead).
Ctrl-C reaches the workers too (same process group): their runs save a checkpoint and stop.

The runner (:mod:`.runner`) drives this backend and :mod:`.ray_backend` the same way; both run
:func:`~trainwise.experiments.comparison.trial.run_trial_in_worker` per trial.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from trainwise.experiments.comparison.trial import TrialSpec, lost_record, run_trial_in_worker


class PoolBackend:
    """Trials in ``workers`` spawned processes (default: the number of cores).

    Example::

        backend = PoolBackend(2)
        slots = backend.start(Path("runs/cmp"), trials=4)   # 2
        fut = backend.submit(spec, Path("runs/cmp"))
        rec = backend.result(backend.wait([fut])[0], spec)
        backend.close()
    """

    name = "processes"

    def __init__(self, workers: int | None = None):
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.threads = 1

    def start(self, root: Path, trials: int) -> int:
        """Start the pool; return how many trials run at once (at most ``trials``)."""
        cores = os.cpu_count() or 1
        slots = max(1, min(self.workers or cores, trials))
        self.threads = max(1, cores // slots)
        ctx = multiprocessing.get_context("spawn")  # fork + torch threads can deadlock
        self.pool = ProcessPoolExecutor(slots, mp_context=ctx)
        return slots

    def submit(self, spec: TrialSpec, root: Path) -> Future:
        try:
            return self.pool.submit(run_trial_in_worker, spec, str(root), self.threads)
        except RuntimeError as exc:  # BrokenProcessPool: a worker died earlier
            fut: Future = Future()
            fut.set_exception(exc)
            return fut

    def wait(self, handles: list[Future]) -> list[Future]:
        """The handles that finished (at least one)."""
        done, _ = wait(handles, return_when=FIRST_COMPLETED)
        return list(done)

    def result(self, handle: Future, spec: TrialSpec) -> dict[str, Any]:
        try:
            return handle.result()
        except Exception as exc:  # noqa: BLE001 - a worker died (killed, out of memory)
            return lost_record(spec, exc)

    def interrupt(self, handles: list[Future]) -> None:
        """Ctrl-C: the workers got the same SIGINT; their runs save a checkpoint and return."""

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
