"""The Ray backend of a comparison (``--backend ray [--address ADDR]``): each trial is a Ray
task, on a local Ray started on demand or on an existing cluster.

* Ray is an optional extra (``pip install trainwise[ray]``); without it, asking for this
  backend is a ConfigError that says so, before any trial runs.
* Which Ray: one already initialized in this process is used as it is (and left running);
  else ``ray.init(address)``: ``None`` starts a local Ray on this machine's cores (shut down
  at the end), an address (``auto``, ``HOST:PORT``, ``ray://HOST:10001``) joins that cluster.
* With an address, :func:`~trainwise.experiments.comparison.shared_storage.check_shared_storage`
  checks that every node sees ``--out`` before any trial starts.
* Each task runs :func:`~trainwise.experiments.comparison.trial.run_trial_in_worker`, the
  function a process of the pool runs. A worker that dies (killed, out of memory, its node
  lost) makes Ray run the task again (``max_retries``, :data:`MAX_RETRIES`): the new attempt
  finds the trial's checkpoints and resumes from the newest, bit for bit, or finds its
  summary.json and reads it back. Trials that finished before the command started are read
  back by the runner and never become tasks.
* ``workers``: trials running at once (default: the cluster's CPUs); each task reserves
  ``CPUs // workers`` CPUs (at most one node's) and runs that many torch threads.
* Ctrl-C cancels the running tasks (Ray raises the interrupt in them: their runs save a
  checkpoint and stop); their trials stay "pending" and resume on the next run.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from trainwise.errors import ConfigError
from trainwise.experiments.comparison.shared_storage import check_shared_storage
from trainwise.experiments.comparison.trial import TrialSpec, lost_record, run_trial_in_worker

#: How many times Ray reruns a trial whose worker died (each rerun resumes its checkpoints).
MAX_RETRIES = 3
#: After Ctrl-C, seconds to wait for the cancelled trials to save their checkpoints.
STOP_GRACE_S = 60.0


def import_ray():
    """The ``ray`` module, or ConfigError saying how to install it."""
    try:
        import ray  # lazy: start-up time (and an optional extra)
    except ImportError as exc:
        raise ConfigError(
            "backend: 'ray' needs Ray, which is not installed; install it with "
            "`pip install trainwise[ray]` (or use the default backend, 'processes')"
        ) from exc
    return ray


def _error_text(exc: BaseException) -> str:
    """One line for compare.json: Ray's errors carry a long multi-line explanation."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


class RayBackend:
    """Trials as Ray tasks (see the module docstring).

    Example::

        backend = RayBackend(workers=None, address=None)   # a local Ray on demand
        slots = backend.start(Path("runs/cmp"), trials=4)
        ref = backend.submit(spec, Path("runs/cmp"))
        rec = backend.result(backend.wait([ref])[0], spec)
        backend.close()
    """

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None):
        self.workers, self.address = workers, address
        self.ray = None
        self.started = False  # this backend called ray.init, so it shuts Ray down
        self.task = None
        self.threads = 1
        self.cancelled: list[Any] = []

    def start(self, root: Path, trials: int) -> int:
        """Join or start Ray, check shared storage (with an address), return how many
        trials run at once (at most ``trials``)."""
        ray = self.ray = import_ray()
        if not ray.is_initialized():
            ray.init(
                address=self.address,
                include_dashboard=False,
                log_to_driver=False,  # trials write their own log.txt
                logging_level=logging.ERROR,  # not Ray's start-up notices
            )
            self.started = True
        if self.address is not None:
            check_shared_storage(ray, root)
        cpus = int(ray.cluster_resources().get("CPU", 1)) or 1
        slots = max(1, min(self.workers or cpus, trials))
        # A task may not ask for more CPUs than one node has (it would never be scheduled).
        largest = max((int(n["Resources"].get("CPU", 0)) for n in _alive(ray)), default=1) or 1
        self.threads = max(1, min(cpus // slots, largest))
        self.task = ray.remote(run_trial_in_worker).options(
            num_cpus=self.threads, max_retries=MAX_RETRIES, retry_exceptions=False
        )
        return slots

    def submit(self, spec: TrialSpec, root: Path):
        return self.task.remote(spec, str(Path(root).resolve()), self.threads)

    def wait(self, handles: list) -> list:
        """The handles that finished (at least one)."""
        ready, _ = self.ray.wait(handles, num_returns=1)
        return ready

    def result(self, handle, spec: TrialSpec) -> dict[str, Any]:
        try:
            return self.ray.get(handle)
        except Exception as exc:  # noqa: BLE001 - retries used up, or the task was cancelled
            return lost_record(
                spec, f"{_error_text(exc)} (Ray retries a lost worker's trial {MAX_RETRIES} times)"
            )

    def interrupt(self, handles: list) -> None:
        """Ctrl-C: cancel the running tasks (their runs save a checkpoint and stop)."""
        for ref in handles:
            self.ray.cancel(ref, force=False)
        self.cancelled = list(handles)

    def close(self) -> None:
        if self.ray is None:
            return
        if self.cancelled:  # let the cancelled runs finish writing their checkpoints
            self.ray.wait(self.cancelled, num_returns=len(self.cancelled), timeout=STOP_GRACE_S)
        if self.started:
            self.ray.shutdown()
        self.ray, self.started, self.cancelled = None, False, []


def _alive(ray) -> list[dict[str, Any]]:
    return [n for n in ray.nodes() if n.get("Alive")]
