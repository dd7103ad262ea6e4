"""Save the model's weights when a monitored metric is among the best so far.

Layout of the directory (``<out_dir>/best/`` by default)::

    epoch-0007.safetensors   the kept epochs (top-k by the monitored metric), weights only
    best.safetensors         the best epoch's weights under a stable name
    best.json                monitor, mode, best value and epoch, and the kept files

These are weight files for using the model (``trainwise.training.model_io.load_weights``),
not training checkpoints: resuming uses the run's ``checkpoints/`` directory, where this
callback's state (the best value, patience counter and kept list) travels with the trainer.

Every file is written atomically (temp file, fsync, ``os.replace``, fsync of the directory),
so a reader or a crash never sees half a file. ``best.safetensors`` is a hard link to the
kept epoch file when the file system allows it (no extra disk, no second write), else a copy.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import shutil
from pathlib import Path
from typing import Any

from trainwise import run_files
from trainwise.callbacks.callback import Callback
from trainwise.callbacks.monitor import Monitor
from trainwise.checkpoint.fsync import fsync_dir
from trainwise.checkpoint.weights import save_weights
from trainwise.errors import ConfigError

_EPOCH_FILE = re.compile(r"^epoch-(\d+)\.safetensors$")


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(data, indent=2, allow_nan=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class ModelCheckpoint(Callback):
    """Keep the weights of the best epochs by any metric in the epoch logs.

    Args:
        dirpath: where to write (default None: ``<out_dir>/best`` of the fit; one of the two is
            needed).
        monitor: metric in the epoch logs (default "val_loss"; "ema_val_loss" etc. work with
            the EMA callback).
        mode: "min", "max" or "auto" (default; max for accuracy-like names).
        min_delta: smallest change that counts as a new best (default 0).
        save_best_only: save an epoch only if it enters the top-k (default True); False saves
            every checked epoch, then keeps the top-k (all of them with ``save_top_k=None``).
        every_n_epochs: look at the metric every N epochs (default 1).
        save_top_k: how many epoch files to keep, ranked by the metric (default 1; None keeps
            every file saved).

    ``best.safetensors`` always holds the epoch the shared :class:`Monitor` calls best (the
    same rule as EarlyStopping, ``min_delta`` included). A new fit starts afresh (best, kept
    list), so one instance can serve several fits; a resumed fit continues from its checkpoint.
    Keras's test cases, where the concepts match: ``tests/callbacks/
    model_checkpoint_keras_test.py``.

    Example::

        ckpt = tw.callbacks.ModelCheckpoint(monitor="val_accuracy", save_top_k=3)
        tw.fit(model, (x, y), validation_split=0.2, out_dir="runs/a", callbacks=[ckpt])
        # runs/a/best/best.safetensors, runs/a/best/best.json
    """

    # runs after EMA (20) so ema_val_* can be monitored, before the Checkpointer (-30) so a
    # checkpoint holds this epoch's decision
    order = 0

    def __init__(
        self,
        dirpath: str | Path | None = None,
        monitor: str = "val_loss",
        mode: str = "auto",
        min_delta: float = 0.0,
        save_best_only: bool = True,
        every_n_epochs: int = 1,
        save_top_k: int | None = 1,
    ):
        for name, value in (("every_n_epochs", every_n_epochs), ("save_top_k", save_top_k)):
            if value is None and name == "save_top_k":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(
                    f"model_checkpoint.{name}: {value!r} is not allowed; must be an integer >= 1"
                    + (" or None (keep all)" if name == "save_top_k" else "")
                )
        self.dirpath = Path(dirpath) if dirpath is not None else None
        self.monitor = Monitor(monitor, mode, min_delta)
        self.save_best_only = save_best_only
        self.every_n_epochs = every_n_epochs
        self.save_top_k = save_top_k
        self.kept: list[tuple[int, float]] = []  # (epoch, value), best first
        self.best_path: Path | None = None
        self._resumed = False

    # -- ranking ------------------------------------------------------------------------------
    def _beats(self, value: float, ref: float) -> bool:
        """``value`` better than ``ref`` by more than min_delta: the Monitor's own rule."""
        probe = copy.copy(self.monitor)
        probe.best = ref
        return probe.is_improvement(value)

    def _rank_key(self, entry: tuple[int, float]):
        epoch, value = entry
        if not math.isfinite(value):
            return (1, 0.0, epoch)  # NaN/inf rank last
        return (0, value if self.monitor.mode == "min" else -value, epoch)

    def _enters_top_k(self, value: float, improved: bool) -> bool:
        if self.save_top_k is None:
            return improved
        if len(self.kept) < self.save_top_k:
            return math.isfinite(value)
        return self._beats(value, self.kept[-1][1])

    # -- files --------------------------------------------------------------------------------
    @staticmethod
    def filename(epoch: int) -> str:
        return f"epoch-{epoch:04d}.safetensors"

    def _resolve_dir(self, trainer) -> Path:
        if self.dirpath is not None:
            return self.dirpath
        run_dir = getattr(trainer, "run_dir", None)
        if run_dir is None:
            raise ConfigError(
                "model_checkpoint.dirpath: None needs a run directory; give "
                "ModelCheckpoint(dirpath=...) or tw.fit(..., out_dir=...)"
            )
        return Path(run_dir) / run_files.BEST_DIR

    def _link_best(self, epoch: int) -> None:
        src = self.best_path / self.filename(epoch)
        dst = self.best_path / "best.safetensors"
        tmp = self.best_path / "best.safetensors.tmp"
        tmp.unlink(missing_ok=True)
        if dst.exists() and os.path.samefile(src, dst):
            # already linked (a resume re-pointing the same best); rename(2) between two links
            # of one file is a no-op that would leave the temp name behind
            return
        try:
            os.link(src, tmp)  # a second name for the same bytes: free and already fsynced
        except OSError:
            shutil.copyfile(src, tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, dst)

    def _write_index(self) -> None:
        m = self.monitor
        _write_json_atomic(
            self.best_path / "best.json",
            {
                "monitor": m.monitor,
                "mode": m.mode,
                "value": m.best,
                "epoch": m.best_epoch,
                "file": "best.safetensors" if m.best_epoch is not None else None,
                "kept": [{"epoch": e, "value": v, "file": self.filename(e)} for e, v in self.kept],
            },
        )
        fsync_dir(self.best_path)

    # -- events -------------------------------------------------------------------------------
    def on_fit_start(self, trainer):
        self.best_path = self._resolve_dir(trainer)
        self.best_path.mkdir(parents=True, exist_ok=True)
        if not self._resumed:  # a fresh fit (also when one instance is reused for several)
            self.monitor.reset()
            self.kept = []
            return
        self._resumed = False
        # A run killed after this callback wrote files but before the next checkpoint leaves
        # files the restored state does not know about: drop them, and point best.* back at
        # the restored best (a resumed run rewrites them exactly as before).
        kept = {self.filename(e) for e, _ in self.kept}
        for p in self.best_path.iterdir():
            if _EPOCH_FILE.match(p.name) and p.name not in kept:
                p.unlink(missing_ok=True)
        best = self.monitor.best_epoch
        if best is not None and (self.best_path / self.filename(best)).exists():
            self._link_best(best)
        self._write_index()

    def on_epoch_end(self, trainer, epoch, logs):
        if (epoch + 1) % self.every_n_epochs:
            return
        value = self.monitor.value(logs)
        improved = self.monitor.update(value, epoch + 1)
        if self.save_best_only and not self._enters_top_k(value, improved):
            return
        save_weights(trainer.model, self.best_path / self.filename(epoch + 1))
        self.kept.append((epoch + 1, value))
        self.kept.sort(key=self._rank_key)
        if self.save_top_k is not None:
            for old_epoch, _ in self.kept[self.save_top_k :]:
                (self.best_path / self.filename(old_epoch)).unlink(missing_ok=True)
            del self.kept[self.save_top_k :]
        if improved:
            self._link_best(epoch + 1)
        self._write_index()

    # -- resume -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"monitor": self.monitor.state_dict(), "kept": [list(k) for k in self.kept]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.monitor.load_state_dict(state["monitor"])
        self.kept = [(int(e), float(v)) for e, v in state["kept"]]
        self._resumed = True
