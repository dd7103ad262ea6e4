"""One trial of a comparison: one variant's config trained with one seed (or on one fold).

A trial is an ordinary run directory written by
:func:`~trainwise.run.session.run_config`; its output (data and model summaries,
messages, warnings, tracebacks) goes to ``<trial dir>/log.txt``, not the terminal, so parallel
trials do not interleave. :func:`run_trial` is what a worker process executes; it never raises
for a failing run: the failure is returned as ``status: "failed"`` with the error, and the
other trials go on.

Which numbers a trial contributes (:func:`trial_metrics`), read from its summary.json:

* ``test_*``: the test metrics of the final model (``summary["test"]``; with EarlyStopping's
  ``restore_best`` that is the best epoch's weights);
* ``final_<key>``: ``<key>`` of the last epoch (e.g. ``final_val_loss``);
* any other name (``val_accuracy``, ``val_loss``, ``loss`` ...): its value at the **best
  epoch**, the one with the lowest val_loss (summary.json's ``best_epoch``, the epoch
  EarlyStopping restores with its default monitor). The best epoch measures what a variant can
  reach, and does not punish a variant for running on after its best point; it is an
  optimistic pick among epochs, the same for every variant.
"""

from __future__ import annotations

import difflib
import json
import os
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from trainwise import run_files
from trainwise.errors import ConfigError
from trainwise.experiments.cross_validation.fold_plan import FoldPlan
from trainwise.experiments.cross_validation.runner import run_config_fold
from trainwise.run.session import run_config

#: Default metrics per task (regression adds test_mae when the runs report it).
CLASSIFICATION_METRICS = ["test_accuracy", "val_accuracy", "val_loss"]
REGRESSION_METRICS = ["test_loss", "val_loss"]


@dataclass(frozen=True)
class TrialSpec:
    """What a worker needs to run one trial (picklable for spawned processes).

    ``config`` is the trial's validated Config (seed set, progress off); ``dir`` is relative
    to the comparison's folder; ``fold`` is 1-based, of ``folds`` (None for seed trials).
    """

    variant: str
    seed: int
    fold: int | None
    folds: int | None
    dir: str
    config: Any
    resume_hint: str = ""

    @property
    def label(self) -> str:
        """``"+dropout 0.2 seed 1"`` or ``"+dropout 0.2 fold 3"`` for progress lines."""
        return f"{self.variant} " + (f"fold {self.fold}" if self.fold else f"seed {self.seed}")


def trial_state(run_dir: Path) -> str:
    """``"done"`` (summary.json exists: read it back), ``"resume"`` (checkpoints but no
    summary: continue from the newest) or ``"fresh"``."""
    if (run_dir / run_files.SUMMARY).is_file():
        return "done"
    ckpts = run_dir / run_files.CHECKPOINTS
    if ckpts.is_dir() and any(ckpts.iterdir()):
        return "resume"
    return "fresh"


def _record(spec: TrialSpec, status: str, wall: float | None, **extra) -> dict[str, Any]:
    return {
        "variant": spec.variant,
        "seed": spec.seed,
        "fold": spec.fold,
        "dir": spec.dir,
        "status": status,
        "wall_seconds": wall,
        **extra,
    }


def lost_record(spec: TrialSpec, exc: BaseException | str) -> dict[str, Any]:
    """The record of a trial whose worker died (killed, out of memory) and did not come back:
    ``status: "failed"`` with the backend's error (an exception, or its text); a later run of
    the comparison resumes it from its checkpoints. Every backend reports a lost worker so."""
    error = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return _record(spec, "failed", None, error=error, reused=False)


def _kept(summary: dict[str, Any]) -> dict[str, Any]:
    """The parts of summary.json the comparison uses (findings stay in the trial folder)."""
    return {k: summary.get(k) for k in ("test", "best", "final", "best_epoch", "epochs_run")}


def init_worker(threads: int) -> None:
    """Worker process start: ``threads`` intra-op threads, so W workers share the cores
    instead of each starting one thread per core (oversubscription slows all of them)."""
    torch.set_num_threads(max(1, int(threads)))


def run_trial_in_worker(spec: TrialSpec, root: str | Path, threads: int) -> dict[str, Any]:
    """What a worker of every backend runs for one trial (a process of the pool, a Ray task):
    ``threads`` torch threads, then :func:`run_trial`. Run again after its worker was killed,
    it resumes from the trial's checkpoints; run on a finished trial, it reads it back.

    Example::

        rec = run_trial_in_worker(spec, "runs/compare-x", threads=1)
    """
    init_worker(threads)
    return run_trial(spec, root)


def _train(spec: TrialSpec, run_dir: Path, resume: bool, echo) -> dict[str, Any]:
    """The trial's run: a plain run with the trial's seed, or its fold of the config through
    the fold runner, the same run directory (fold.json included) ``run --folds`` writes."""
    options = {"stem": "trial", "echo": echo, "resume": resume}
    options["resume_hint"] = spec.resume_hint or None
    if spec.fold is None:
        return run_config(spec.config, run_dir, **options)
    # The config seed seeds the fold assignment, so every variant gets the same folds.
    plan = FoldPlan(spec.config.data, spec.folds, seed=spec.config.seed)
    return run_config_fold(spec.config, plan, spec.fold - 1, run_dir, **options)


def run_trial(spec: TrialSpec, root: str | Path) -> dict[str, Any]:
    """Run (or read back, or resume) ``spec`` under ``root``; return its record:
    ``{variant, seed, fold, dir, status ("done", "failed", "interrupted"), wall_seconds,
    summary | error, reused}``.

    Example::

        rec = run_trial(TrialSpec("baseline", 0, None, None, "trials/baseline/seed-0", cfg),
                        "runs/compare-x")
        rec["status"], rec["summary"]["test"]
    """
    run_dir = Path(root) / spec.dir
    state = trial_state(run_dir)
    if state == "done":
        summary = json.loads((run_dir / run_files.SUMMARY).read_text())
        return _record(
            spec, "done", summary.get("total_seconds"), summary=_kept(summary), reused=True
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with (
        open(run_dir / run_files.TRIAL_LOG, "a", encoding="utf-8") as log,
        redirect_stdout(log),
        redirect_stderr(log),
    ):

        def echo(*args):
            print(*args, file=log, flush=True)

        # The pid says which worker ran (or was killed running) this part of the trial.
        what = "resuming" if state == "resume" else "starting"
        echo(f"== {spec.label}: {what} (pid {os.getpid()})")
        try:
            summary = _train(spec, run_dir, state == "resume", echo)
        except Exception as exc:  # noqa: BLE001 - one failing trial must not stop the others
            traceback.print_exc(file=log)
            return _record(
                spec,
                "failed",
                time.perf_counter() - t0,
                error=f"{type(exc).__name__}: {exc}",
                reused=False,
            )
    wall = time.perf_counter() - t0
    if summary.get("interrupted"):
        return _record(spec, "interrupted", wall, error=summary.get("stop_reason"), reused=False)
    return _record(
        spec, "done", summary.get("total_seconds", wall), summary=_kept(summary), reused=False
    )


def trial_metrics(summary: dict[str, Any] | None, names: list[str]) -> dict[str, float | None]:
    """The values of ``names`` in a trial's summary (None where absent); see the module
    docstring for where each name is read.

    Example::

        >>> s = {"test": {"test_accuracy": 0.9}, "best": {"val_loss": 0.3}, "final": {}}
        >>> trial_metrics(s, ["test_accuracy", "val_loss", "final_val_loss"])
        {'test_accuracy': 0.9, 'val_loss': 0.3, 'final_val_loss': None}
    """
    summary = summary or {}
    out: dict[str, float | None] = {}
    for name in names:
        if name.startswith("test_"):
            value = (summary.get("test") or {}).get(name)
        elif name.startswith("final_"):
            value = (summary.get("final") or {}).get(name.removeprefix("final_"))
        else:
            value = (summary.get("best") or {}).get(name)
        out[name] = float(value) if isinstance(value, (int, float)) else None
    return out


#: What a run measures per epoch and on the test set (see trainwise.training.metrics).
BASE_METRICS = ("loss", "accuracy", "mse", "mae")


def known_metrics() -> list[str]:
    """Every metric name :func:`trial_metrics` can read: ``<m>``, ``val_<m>``, ``test_<m>``,
    ``final_<m>`` and ``final_val_<m>`` for m in loss, accuracy, mse, mae."""
    prefixes = ("test_", "val_", "", "final_val_", "final_")
    return [p + m for p in prefixes for m in BASE_METRICS]


def check_metrics(names: list[str]) -> list[str]:
    """``names`` if every one is a known metric, else ConfigError (before any trial runs)
    naming the closest known name.

    Example::

        >>> check_metrics(["test_accuracy", "final_val_loss"])
        ['test_accuracy', 'final_val_loss']
    """
    known = known_metrics()
    errors = []
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            errors.append(f"metrics: {name!r} is not a metric; {hint}allowed: {', '.join(known)}")
    if errors:
        raise ConfigError("\n".join(errors), errors)
    return list(names)


def default_metrics(summaries: list[dict[str, Any]], task: str | None = None) -> list[str]:
    """The table's metrics when none are asked for: classification (a trial reports accuracy;
    without finished trials, ``task`` is "classification" or "binary") -> test_accuracy,
    val_accuracy, val_loss; else test_loss, val_loss (+ test_mae if any trial reports it).

    Example::

        >>> default_metrics([{"test": {"test_loss": 1.0, "test_mae": 0.8}}])
        ['test_loss', 'val_loss', 'test_mae']
    """
    tests = [s.get("test") or {} for s in summaries]
    bests = [s.get("best") or {} for s in summaries]
    if any("test_accuracy" in t for t in tests) or any("val_accuracy" in b for b in bests):
        return list(CLASSIFICATION_METRICS)
    if not summaries and task in ("classification", "binary"):
        return list(CLASSIFICATION_METRICS)
    extra = ["test_mae"] if any("test_mae" in t for t in tests) else []
    return REGRESSION_METRICS + extra
