"""Stop training when a monitored metric stops improving."""

from __future__ import annotations

import copy
from typing import Any

from trainwise.callbacks.callback import Callback
from trainwise.callbacks.monitor import Monitor
from trainwise.errors import ConfigError


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    Args:
        monitor: metric in the epoch logs (default "val_loss").
        mode: "min", "max" or "auto" (default).
        patience: epochs without improvement before stopping (default 5).
        min_delta: smallest change that counts as improvement (default 0).
        baseline: stop if the metric never beats this within ``patience`` (default None).
        restore_best: load the best epoch's weights at the end (default True).
        restore_best_weights: Keras spelling of ``restore_best``.

    Example::

        tw.fit(model, data, callbacks=[tw.callbacks.EarlyStopping(patience=3)])
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        patience: int = 5,
        min_delta: float = 0.0,
        baseline: float | None = None,
        restore_best: bool = True,
        restore_best_weights: bool | None = None,
    ):
        if patience < 0:
            raise ConfigError(f"patience: {patience!r} is not allowed; must be >= 0")
        self.monitor = Monitor(monitor, mode, min_delta, baseline)
        self.patience = patience
        self.restore_best = restore_best if restore_best_weights is None else restore_best_weights
        self.best_weights: dict[str, Any] | None = None
        self.stopped_epoch: int | None = None
        self.message: str | None = None

    def on_epoch_end(self, trainer, epoch, logs):
        value = self.monitor.value(logs)
        if self.monitor.update(value, epoch + 1):
            if self.restore_best:
                self.best_weights = copy.deepcopy(trainer.model.state_dict())
            return
        if self.monitor.wait >= self.patience and not trainer.stop_training:
            m = self.monitor
            self.stopped_epoch = epoch + 1
            best = (
                f"best {m.best:.4g} at epoch {m.best_epoch}"
                if m.best is not None
                else "never beat the baseline"
            )
            tail = (
                f"; restoring epoch {m.best_epoch} weights"
                if self.restore_best and self.best_weights
                else ""
            )
            self.message = f"{m.monitor} did not improve for {m.wait} epochs ({best}){tail}"
            trainer.stop_training = True
            trainer.stop_reason = self.message

    def on_fit_end(self, trainer):
        if self.restore_best and self.best_weights is not None and self.stopped_epoch is not None:
            trainer.model.load_state_dict(self.best_weights)

    def state_dict(self):
        # the best weights travel with the checkpoint so a resumed run restores the same epoch
        return {
            "monitor": self.monitor.state_dict(),
            "stopped_epoch": self.stopped_epoch,
            "message": self.message,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, state):
        self.monitor.load_state_dict(state["monitor"])
        self.stopped_epoch = state.get("stopped_epoch")
        self.message = state.get("message")
        self.best_weights = state.get("best_weights")
