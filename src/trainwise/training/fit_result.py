"""What ``tw.fit`` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn


@dataclass
class FitResult:
    """Result of :func:`trainwise.fit`.

    Attributes:
        model: the trained model (best weights if a callback restored them).
        history: one dict per epoch: epoch, loss, metrics, val_loss, val metrics, lr, time.
        findings: the doctor's findings (empty when the doctor is off).
        test_metrics: loss and metrics on ``test_data`` if it was given, else {}.
        lr_steps: the learning rate used at every optimizer step.
        stop_reason: why training ended early (None if it ran all epochs).
        run_dir: where logs and weights were written (None without ``out_dir``).
        wall_time: seconds spent in training and validation.
        interrupted: True when a signal stopped training (a checkpoint was saved first).
    """

    model: nn.Module
    history: list[dict[str, Any]]
    findings: list[Any] = field(default_factory=list)
    test_metrics: dict[str, float] = field(default_factory=dict)
    lr_steps: list[float] = field(default_factory=list)
    stop_reason: str | None = None
    run_dir: Path | None = None
    wall_time: float = 0.0
    interrupted: bool = False  #: stopped by SIGINT/SIGTERM after saving a checkpoint
    doctor: Any = None  #: the run's Doctor (None when off): probes, detected_at, state

    @property
    def best_epoch(self) -> dict[str, Any] | None:
        """The history entry with the lowest val_loss (or loss without validation)."""
        if not self.history:
            return None
        key = "val_loss" if "val_loss" in self.history[0] else "loss"
        return min(self.history, key=lambda h: h.get(key, float("inf")))
