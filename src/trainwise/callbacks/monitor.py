"""The one "is this an improvement?" helper behind EarlyStopping, ReduceLROnPlateau and
ModelCheckpoint (the Keras ``MonitorCallback`` idea): a monitored metric, a direction and a
minimum change."""

from __future__ import annotations

import math
from typing import Any

from trainwise.errors import ConfigError
from trainwise.vocabulary import metric_mode

MODES = ("min", "max", "auto")


def resolve_mode(monitor: str, mode: str) -> str:
    """``auto`` means :func:`trainwise.vocabulary.metric_mode`: max for accuracy-like metrics
    (acc, auc, f1, precision, recall), min for everything else (losses, errors)."""
    if mode not in MODES:
        raise ConfigError(f"mode: {mode!r} is not allowed; allowed: {', '.join(MODES)}")
    if mode != "auto":
        return mode
    return metric_mode(monitor)


class Monitor:
    """Tracks the best value of one metric.

    Args:
        monitor: key in the epoch logs (default "val_loss").
        mode: "min", "max" or "auto" (default).
        min_delta: an improvement must beat the best by more than this (default 0).
        baseline: a value to beat before anything counts as an improvement (default None).

    Example::

        m = Monitor("val_loss")
        m.update(0.5, epoch=1)  # True: first value
        m.update(0.6, epoch=2)  # False
        m.best, m.best_epoch, m.wait  # (0.5, 1, 1)
    """

    def __init__(
        self, monitor: str = "val_loss", mode: str = "auto", min_delta: float = 0.0, baseline=None
    ):
        if min_delta < 0:
            raise ConfigError(f"min_delta: {min_delta!r} is not allowed; must be >= 0")
        self.monitor = monitor
        self.mode = resolve_mode(monitor, mode)
        self.min_delta = float(min_delta)
        self.baseline = baseline
        self.reset()

    def reset(self) -> None:
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.wait = 0  # epochs since the last improvement

    def is_improvement(self, value: float) -> bool:
        if value is None or not math.isfinite(value):
            return False
        ref = self.best if self.best is not None else self.baseline
        if ref is None:
            return True
        if self.mode == "min":
            return value < ref - self.min_delta
        return value > ref + self.min_delta

    def value(self, logs: dict[str, Any]) -> float:
        if self.monitor not in logs:
            available = ", ".join(k for k in logs if k not in ("epoch", "time")) or "none"
            raise ConfigError(
                f"monitor: {self.monitor!r} is not in the epoch logs; available: {available} "
                "(val_* metrics need validation data)"
            )
        return float(logs[self.monitor])

    def update(self, value: float, epoch: int) -> bool:
        """Record ``value`` for ``epoch``; return True if it is an improvement."""
        if self.is_improvement(value):
            self.best, self.best_epoch, self.wait = float(value), epoch, 0
            return True
        self.wait += 1
        return False

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
