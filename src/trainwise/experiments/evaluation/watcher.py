"""``trainwise eval RUN_DIR [--watch]``: evaluate a run's checkpoints in a separate process.

What it reads: ``RUN_DIR/checkpoints/step-*`` directories. A checkpoint is written into a
staging directory and renamed into place only when complete (manifest last, see
:mod:`trainwise.checkpoint.store`), so a ``step-*`` name never shows half a checkpoint;
staging directories are skipped, and the manifest is verified before anything is loaded.
The watcher only reads: it never uses ``CheckpointManager`` here, whose constructor deletes
staging directories, which would pull a save from under the running trainer.

What it writes, all under ``RUN_DIR/eval/``:

- ``metrics.jsonl``: one JSON line per checkpoint (``checkpoint``, ``step``, ``epoch``,
  ``val_*``/``test_*`` of the raw weights, ``ema_val_*``/``ema_test_*`` when the checkpoint
  holds EMA weights), plus one line ``"checkpoint": "final"`` for the run's final
  ``model.safetensors``. It is also the watcher's memory: a restarted watcher skips what is
  logged there, so nothing is evaluated twice.
- ``best.safetensors`` + ``best.json``: the best weights so far (raw or EMA) by ``monitor``
  on the validation split (never the test split).

Pruning: training deletes all but the newest ``checkpoint.keep`` checkpoints. A checkpoint
deleted before the watcher read it cannot be evaluated; the watcher logs it with
``"missed": ...`` if it saw the name, and cannot know about one it never saw. To evaluate
every checkpoint, keep more of them than can pile up between two polls (the cost is disk).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from safetensors.torch import load_file

from trainwise import run_files
from trainwise.callbacks.monitor import Monitor
from trainwise.checkpoint.store import STAGING_PREFIX, read_checkpoint
from trainwise.checkpoint.weights import save_weights
from trainwise.errors import CheckpointError, ConfigError
from trainwise.experiments.evaluation.run_evaluator import RunEvaluator, ema_state
from trainwise.training.run_dir import write_json

_STEP_NAME = re.compile(r"^step-(\d{9})$")
FINAL = "final"


def finished_checkpoints(checkpoint_dir: Path) -> list[Path]:
    """``step-*`` directories under ``checkpoint_dir``, oldest first (staging ones skipped).

    Example::

        >>> finished_checkpoints(Path("no-such-dir"))
        []
    """
    try:
        entries = list(Path(checkpoint_dir).iterdir())
    except FileNotFoundError:
        return []
    return sorted(
        p for p in entries if _STEP_NAME.match(p.name) and not p.name.startswith(STAGING_PREFIX)
    )


class EvalWatcher:
    """Evaluates every new checkpoint of one run, once.

    Args:
        run_dir: the run directory (``trainwise run ... --out RUN_DIR``).
        monitor: the metric that picks the best copy (default "val_loss"); ``mode`` "min",
            "max" or "auto" (default: max for accuracy-like names).
        device: where to evaluate (default "cpu"). echo: where messages go (default print).

    Example::

        watcher = EvalWatcher("runs/circles")
        watcher.poll()        # evaluates what is there now, returns the new records
        watcher.watch(interval=2.0, timeout=600)   # until the run writes summary.json
    """

    def __init__(
        self,
        run_dir: str | Path,
        *,
        monitor: str = "val_loss",
        mode: str = "auto",
        device: str = "cpu",
        echo: Callable[[str], Any] = print,
        cache_dir: str | Path | None = None,
    ):
        self.run_dir = Path(run_dir)
        self.eval_dir = self.run_dir / run_files.EVAL_DIR
        self.log_path = self.eval_dir / run_files.METRICS
        self.best_path = self.eval_dir / "best.safetensors"
        self.best_json = self.eval_dir / "best.json"
        self.monitor = Monitor(monitor, mode)
        self.device = device
        self.echo = echo
        self.cache_dir = cache_dir
        self._evaluator = None
        self._lock_fd: int | None = None
        self._warned_monitor = False

    # -- memory -------------------------------------------------------------------------------
    def records(self) -> list[dict[str, Any]]:
        """Every line of ``eval/metrics.jsonl`` (a torn last line, from a crash, is ignored)."""
        if not self.log_path.is_file():
            return []
        out = []
        for line in self.log_path.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def evaluated(self) -> set[str]:
        """Names already logged: ``step-...`` checkpoints and ``final``."""
        return {r["checkpoint"] for r in self.records() if "checkpoint" in r}

    def _start(self) -> None:
        """Take the run's eval lock, repair a torn log line, restore the best value."""
        if self._lock_fd is not None:
            return
        self.eval_dir.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(self.eval_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            import fcntl  # POSIX only; elsewhere two watchers are simply not prevented

            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:
            pass
        except BlockingIOError:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise CheckpointError(
                f"RUN_DIR: another 'trainwise eval' is already evaluating {str(self.run_dir)!r}; "
                "allowed: one evaluator per run"
            ) from None
        if self.log_path.is_file():
            data = self.log_path.read_bytes()
            if data and not data.endswith(b"\n"):  # killed mid-append: drop the torn line
                with open(self.log_path, "r+b") as f:
                    f.truncate(data.rfind(b"\n") + 1)
        if self.best_json.is_file() and self.best_path.is_file():
            best = json.loads(self.best_json.read_text())
            if best.get("monitor") == self.monitor.monitor:
                self.monitor.best = best["value"]

    def close(self) -> None:
        """Release the lock (also done when the process exits)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _append(self, record: dict[str, Any]) -> None:
        # One write of one whole line, then fsync: a crash leaves at most a torn last line,
        # which _start() drops (that checkpoint is then evaluated again, never skipped).
        with open(self.log_path, "a") as f:
            f.write(json.dumps(record, allow_nan=True) + "\n")
            f.flush()
            os.fsync(f.fileno())

    # -- evaluation ---------------------------------------------------------------------------
    @property
    def evaluator(self):
        if self._evaluator is None:
            self._evaluator = RunEvaluator(self.run_dir, self.device, self.cache_dir)
        return self._evaluator

    def _consider_best(self, name: str, kind: str, metrics: dict, meta: dict) -> None:
        """Copy the weights now in the evaluator's model if ``metrics`` beat the best."""
        key = self.monitor.monitor
        if key not in metrics:
            if not self._warned_monitor:
                self._warned_monitor = True
                self.echo(
                    f"eval: monitor {key!r} is not among {', '.join(sorted(metrics))}; no best "
                    "copy is kept"
                )
            return
        if not self.monitor.is_improvement(metrics[key]):
            return
        self.monitor.best = float(metrics[key])
        save_weights(self.evaluator.model, self.best_path)
        write_json(
            self.best_json,
            {
                "checkpoint": name,
                "weights": kind,
                "monitor": key,
                "mode": self.monitor.mode,
                "value": float(metrics[key]),
                **meta,
                "metrics": metrics,
            },
        )

    def _evaluate_checkpoint(self, path: Path) -> dict[str, Any]:
        name = path.name
        try:
            model_state, state = read_checkpoint(path)
        except (CheckpointError, OSError) as exc:
            if not path.exists():
                return {"checkpoint": name, "missed": "deleted (pruned) before it was read"}
            return {"checkpoint": name, "error": str(exc)}
        trainer = state.get("trainer", {})
        meta = {"step": trainer.get("global_step"), "epoch": trainer.get("epoch")}
        record: dict[str, Any] = {"checkpoint": name, **meta}
        raw = self.evaluator.evaluate(model_state, f"checkpoint {name}")
        record.update(raw)
        self._consider_best(name, "raw", raw, meta)
        ema = ema_state(state)
        if ema is not None:
            ema_metrics = self.evaluator.evaluate(ema["weights"], f"EMA weights of {name}")
            record.update({f"ema_{k}": v for k, v in ema_metrics.items()})
            record["ema_num_updates"] = ema.get("num_updates")
            self._consider_best(name, "ema", ema_metrics, meta)
        return record

    def _evaluate_final(self, path: Path) -> dict[str, Any]:
        try:
            weights = load_file(str(path))
        except Exception as exc:  # safetensors raises its own types for a bad file
            return {"checkpoint": FINAL, "error": f"{path.name}: {exc}"}
        summary_path = self.run_dir / run_files.SUMMARY
        epochs = (
            json.loads(summary_path.read_text()).get("epochs_run")
            if summary_path.is_file()
            else None
        )
        meta = {"step": None, "epoch": epochs}
        metrics = self.evaluator.evaluate(weights, str(path))
        self._consider_best(FINAL, "raw", metrics, meta)
        return {"checkpoint": FINAL, **meta, **metrics}

    def poll(self, include_final: bool = True) -> list[dict[str, Any]]:
        """Evaluate every checkpoint not yet logged (oldest first), then the final weights
        (``model.safetensors``) if ``include_final`` and they exist; return the new records."""
        self._start()
        done = self.evaluated()
        new = []
        for path in finished_checkpoints(self.run_dir / run_files.CHECKPOINTS):
            if path.name in done:
                continue
            record = self._evaluate_checkpoint(path)
            record["evaluated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
            self._append(record)
            new.append(record)
            self.echo(describe(record))
        final = self.run_dir / run_files.WEIGHTS
        if include_final and FINAL not in done and final.is_file():
            record = self._evaluate_final(final)
            record["evaluated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
            self._append(record)
            new.append(record)
            self.echo(describe(record))
        return new

    def watch(self, interval: float = 2.0, timeout: float | None = None) -> bool:
        """Poll every ``interval`` seconds until the run has finished (``summary.json``
        exists; the checkpoints and final weights written before it are then evaluated) or
        ``timeout`` seconds have passed. Returns True if the run finished, False on timeout.

        Waits for ``RUN_DIR/config.yaml`` first, so it can be started before the training.
        """
        if interval <= 0:
            raise ConfigError(f"--interval: {interval!r} is not allowed; must be > 0 seconds")
        if timeout is not None and timeout <= 0:
            raise ConfigError(f"--timeout: {timeout!r} is not allowed; must be > 0 seconds")
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            # Read "finished" before listing: every checkpoint saved before summary.json is
            # then in this poll's listing, so the last pass misses nothing.
            finished = (self.run_dir / run_files.SUMMARY).is_file()
            if (self.run_dir / run_files.CONFIG).is_file():
                self.poll(include_final=finished)
                if finished:
                    return True
            if deadline is not None and time.monotonic() >= deadline:
                self.echo(f"eval: stopped waiting after {timeout:g} s; the run has not finished")
                return False
            time.sleep(
                interval
                if deadline is None
                else min(interval, max(0.0, deadline - time.monotonic()))
            )


def describe(record: dict[str, Any]) -> str:
    """One line for a log record, e.g. ``step-000000030  epoch 3  val_loss 0.41 ...``."""
    if "missed" in record or "error" in record:
        return f"{record['checkpoint']}: {record.get('missed') or record.get('error')}"
    skip = {"checkpoint", "step", "epoch", "evaluated_at", "ema_num_updates"}
    parts = [record["checkpoint"]]
    if record.get("epoch") is not None:
        parts.append(f"epoch {record['epoch']}")
    parts += [f"{k} {v:.4g}" for k, v in record.items() if k not in skip and isinstance(v, float)]
    return "  ".join(parts)
