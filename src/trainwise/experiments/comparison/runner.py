"""Running a comparison's trials, with a progress bar over trials (on a terminal) or one line
per finished trial.

Finished trials (summary.json) are read back here and never sent to a backend. The others
run on one of two backends, driven the same way by :func:`_drive` (start, submit in order up
to the backend's slots, collect as they finish, stop submitting on an interruption):

* "processes" (:mod:`.pool_backend`): spawned worker processes of this machine; with one
  worker (or one trial left) the trials run in this process;
* "ray" (:mod:`.ray_backend`): Ray tasks on a local Ray or a cluster, a lost worker's trial
  retried by Ray.

Both run :func:`~trainwise.experiments.comparison.trial.run_trial_in_worker` per trial, so a
trial means the same on either: its results are the same numbers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trainwise import run_files
from trainwise.errors import ConfigError
from trainwise.experiments.comparison.pool_backend import PoolBackend
from trainwise.experiments.comparison.ray_backend import RayBackend, import_ray
from trainwise.experiments.comparison.trial import (
    TrialSpec,
    default_metrics,
    run_trial,
    trial_metrics,
)
from trainwise.report.stat_format import format_seconds

#: Where trials run: worker processes of this machine, or Ray tasks (a local Ray or a cluster).
BACKENDS = ("processes", "ray")


def _primary(rec: dict[str, Any], metrics: list[str] | None) -> str:
    """``"test_accuracy 0.952"`` for a progress line."""
    summary = rec.get("summary") or {}
    names = metrics or default_metrics([summary])
    value = trial_metrics(summary, names[:1])[names[0]]
    return f"{names[0]} {value:.4g}" if value is not None else f"{names[0]} n/a"


def _line(i: int, n: int, spec: TrialSpec, rec: dict[str, Any], metrics) -> str:
    head = f"[{i}/{n}] {spec.label}: "
    if rec["status"] == "done":
        wall = rec.get("wall_seconds")
        when = "finished earlier, " if rec.get("reused") else ""
        return head + when + _primary(rec, metrics) + (f" ({format_seconds(wall)})" if wall else "")
    if rec["status"] == "interrupted":
        return head + "interrupted; its checkpoint is kept"
    return head + f"{rec['status'].upper()} {rec.get('error')} (see {spec.dir}/log.txt)"


class TrialProgress:
    """A rich progress bar over trials on a terminal, else one line per finished trial."""

    def __init__(self, total: int, mode: str, echo: Callable[[str], Any]):
        self.total, self.done, self.echo, self.bar = total, 0, echo, None
        if mode == "bar":
            from rich.console import Console  # lazy: start-up time (only when printing)
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            # Bound to the real stdout now: in-process trials redirect sys.stdout to log.txt,
            # and a Console without a file would follow that redirection.
            console = Console(file=sys.stdout)
            self.bar = Progress(
                TextColumn("trials"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console,
            )
            self.task = self.bar.add_task("trials", total=total)
            self.bar.start()

    def advance(self, spec: TrialSpec, rec: dict[str, Any], metrics) -> None:
        self.done += 1
        text = _line(self.done, self.total, spec, rec, metrics)
        if self.bar is not None:
            self.bar.console.print(text, markup=False, highlight=False)
            self.bar.advance(self.task)
        else:
            self.echo(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def make_backend(backend: str, workers: int | None, address: str | None):
    """The backend object for ``backend`` ("processes" or "ray"); ConfigError otherwise, for
    an ``address`` without the Ray backend, or for "ray" when Ray is not installed (so a
    comparison fails on these before its folder or any trial exists)."""
    if backend not in BACKENDS:
        raise ConfigError(
            f"backend: {backend!r} is not allowed; allowed: {', '.join(map(repr, BACKENDS))}"
        )
    if backend == "ray":
        import_ray()
        return RayBackend(workers, address)
    if address is not None:
        raise ConfigError(
            f"address: {address!r} is only used with backend 'ray' (--backend ray); "
            "the 'processes' backend runs on this machine"
        )
    return PoolBackend(workers)


def run_trials(
    specs: list[TrialSpec],
    root: str | Path,
    workers: int | None,
    progress: TrialProgress,
    metrics: list[str] | None = None,
    backend: str = "processes",
    address: str | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Run every spec under ``root``; return the trial records (in finishing order) and
    whether a signal interrupted the run (trials not started then have no record).

    ``backend``: "processes" (default; up to ``workers`` spawned processes, default the
    cores; 1 runs in this process) or "ray" (Ray tasks, ``workers`` at once, default the
    cluster's CPUs; ``address`` an existing cluster, None a local Ray). Finished trials are
    read back here and never reach a backend. ``metrics`` picks the number shown per trial.

    Example::

        records, interrupted = run_trials(specs, "runs/cmp", 2, TrialProgress(len(specs),
                                          "lines", print))
    """
    root = Path(root)
    executor = make_backend(backend, workers, address)
    records: list[dict] = []
    todo = []
    for spec in specs:
        if (root / spec.dir / run_files.SUMMARY).is_file():
            rec = run_trial(spec, root)
            records.append(rec)
            progress.advance(spec, rec, metrics)
        else:
            todo.append(spec)
    if not todo:
        return records, False
    try:
        if backend == "processes" and min(workers or os.cpu_count() or 1, len(todo)) == 1:
            for spec in todo:
                rec = run_trial(spec, root)
                records.append(rec)
                progress.advance(spec, rec, metrics)
                if rec["status"] == "interrupted":
                    return records, True
            return records, False
        return records, _drive(executor, todo, root, progress, metrics, records)
    except KeyboardInterrupt:
        return records, True


def _drive(executor, todo, root, progress, metrics, records) -> bool:
    """Run ``todo`` on ``executor``, in order, as many at once as it has slots; append each
    record as it finishes. Returns whether a trial (or Ctrl-C) interrupted the comparison:
    then no further trial starts, and the running ones stop with a checkpoint."""
    queue, running, interrupted = list(todo), {}, False
    try:
        slots = executor.start(root, len(todo))  # the Ray backend's storage check: no trial yet
        while queue or running:
            while queue and len(running) < slots and not interrupted:
                spec = queue.pop(0)
                running[executor.submit(spec, root)] = spec
            if not running:
                break
            for handle in executor.wait(list(running)):
                spec = running.pop(handle)
                rec = executor.result(handle, spec)
                records.append(rec)
                progress.advance(spec, rec, metrics)
                interrupted = interrupted or rec["status"] == "interrupted"
    except KeyboardInterrupt:
        interrupted = True
        executor.interrupt(list(running))
    finally:
        executor.close()
    return interrupted
