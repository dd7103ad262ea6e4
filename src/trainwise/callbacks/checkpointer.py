"""The callback that saves checkpoints during training and stops gracefully on a signal."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy
import torch

from trainwise import __version__
from trainwise.callbacks.callback import Callback
from trainwise.checkpoint.manager import CheckpointManager


def _versions() -> dict[str, str]:
    return {
        "trainwise": __version__,
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "python": sys.version.split()[0],
    }


class Checkpointer(Callback):
    """Save a checkpoint every ``every_steps`` optimizer steps and/or every ``every_epochs``
    epochs, and at the end; on SIGINT or SIGTERM, save at the end of the current step and stop.

    Args:
        manager: the run's :class:`CheckpointManager`.
        every_steps: also save mid-epoch every this many steps (default None: off).
        every_epochs: save after every this many epochs (default 1).
        meta: JSON-able extras stored in each checkpoint (the resolved config, ...).
        resume_hint: the command that resumes this run (used in the stop message).

    Cost: one save writes the weights and optimizer state and hashes them (a few ms for the
    default model); per step, when ``every_steps`` is off, nothing.
    """

    order = -30  # last: after logging, early stopping and LR changes have updated the state

    def __init__(
        self,
        manager: CheckpointManager,
        every_steps: int | None = None,
        every_epochs: int | None = 1,
        meta: dict[str, Any] | None = None,
        resume_hint: str = "",
        echo: Callable = print,
    ):
        self.manager = manager
        self.every_steps = every_steps
        self.every_epochs = every_epochs
        self.meta = meta or {}
        self.resume_hint = resume_hint
        self.echo = echo
        self.signal_received: int | None = None
        self._old_handlers: dict[int, Any] = {}
        self.last_saved: Any = None

    def save(self, trainer) -> None:
        state = {"trainer": trainer.state_dict(), "meta": self.meta, "versions": _versions()}
        path = self.manager.save(trainer.global_step, trainer.model.state_dict(), state)
        if path is not None:
            self.last_saved = path

    # signals ---------------------------------------------------------------------------------
    def _handler(self, signum, frame):
        self.signal_received = signum

    def on_fit_start(self, trainer):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old_handlers[sig] = signal.signal(sig, self._handler)

    def on_fit_end(self, trainer):
        if not trainer.interrupted:
            self.save(trainer)
        for sig, old in self._old_handlers.items():
            signal.signal(sig, old)
        self._old_handlers.clear()

    # saving ----------------------------------------------------------------------------------
    def on_batch_end(self, trainer, step, loss, output, target):
        if self.signal_received is not None:
            self.save(trainer)
            name = signal.Signals(self.signal_received).name
            trainer.interrupt(
                f"stopped by {name} at step {trainer.global_step} (epoch {trainer.epoch + 1}); "
                f"checkpoint saved to {self.last_saved}. Resume with: {self.resume_hint}"
            )
        elif self.every_steps and trainer.global_step % self.every_steps == 0:
            self.save(trainer)

    def on_epoch_end(self, trainer, epoch, logs):
        if self.signal_received is not None:  # arrived during validation
            self.on_batch_end(trainer, trainer.global_step - 1, None, None, None)
            return
        if self.every_epochs and (epoch + 1) % self.every_epochs == 0:
            self.save(trainer)
