"""Running a comparison's trials: in this process or in spawned worker processes, with a
progress bar over trials (on a terminal) or one line per finished trial.

Finished trials (summary.json) are read back here and never sent to a worker. With W > 1
workers (at most the trials left), each worker process is started with the "spawn" method
(forking a process that has torch threads running can deadlock) and runs
``torch.set_num_threads(cores // W)``, so W workers share the cores instead of each using all
of them. A worker that dies (killed, out of memory) makes its trial "failed"; Ctrl-C reaches
the workers too: their runs save a checkpoint and stop, and the comparison reports itself
interrupted.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from trainwise import run_files
from trainwise.experiments.comparison.trial import (
    TrialSpec,
    default_metrics,
    init_worker,
    run_trial,
    trial_metrics,
)
from trainwise.report.stat_format import format_seconds


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


def run_trials(
    specs: list[TrialSpec],
    root: str | Path,
    workers: int,
    progress: TrialProgress,
    metrics: list[str] | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Run every spec under ``root`` with up to ``workers`` processes (1: in this process);
    return the trial records (in finishing order) and whether a signal interrupted the run
    (trials not started then have no record). ``metrics`` picks the number shown per trial.

    Example::

        records, interrupted = run_trials(specs, "runs/cmp", 2, TrialProgress(len(specs),
                                          "lines", print))
    """
    root = Path(root)
    records: list[dict] = []
    todo = []
    for spec in specs:
        if (root / spec.dir / run_files.SUMMARY).is_file():
            rec = run_trial(spec, root)
            records.append(rec)
            progress.advance(spec, rec, metrics)
        else:
            todo.append(spec)
    workers = max(1, min(workers, len(todo)))
    try:
        if workers == 1:
            for spec in todo:
                rec = run_trial(spec, root)
                records.append(rec)
                progress.advance(spec, rec, metrics)
                if rec["status"] == "interrupted":
                    return records, True
            return records, False
        return _run_pool(todo, root, workers, progress, metrics, records)
    except KeyboardInterrupt:
        return records, True


def _run_pool(todo, root, workers, progress, metrics, records) -> tuple[list[dict], bool]:
    threads = max(1, (os.cpu_count() or 1) // workers)
    ctx = multiprocessing.get_context("spawn")  # fork + torch threads can deadlock
    pool = ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=init_worker, initargs=(threads,)
    )
    futures = {pool.submit(run_trial, spec, str(root)): spec for spec in todo}
    interrupted = False
    try:
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                if fut.cancelled():  # not started: stays "pending" for the next run
                    continue
                spec = futures[fut]
                try:
                    rec = fut.result()
                except Exception as exc:  # noqa: BLE001 - a worker died (killed, out of memory)
                    rec = {
                        "variant": spec.variant,
                        "seed": spec.seed,
                        "fold": spec.fold,
                        "dir": spec.dir,
                        "status": "failed",
                        "wall_seconds": None,
                        "error": f"{type(exc).__name__}: {exc}",
                    }
                records.append(rec)
                progress.advance(spec, rec, metrics)
                if rec["status"] == "interrupted" and not interrupted:
                    interrupted = True
                    for f in pending:
                        f.cancel()
    except KeyboardInterrupt:
        # Workers got the same SIGINT: their runs save a checkpoint and return.
        interrupted = True
        for f in futures:
            f.cancel()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return records, interrupted
