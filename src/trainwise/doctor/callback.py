"""The doctor as a trainwise callback, for :class:`~trainwise.training.trainer.Trainer` runs."""

from __future__ import annotations

from typing import Any

from trainwise.callbacks.callback import Callback
from trainwise.doctor.doctor import Doctor
from trainwise.vocabulary import TASKS


class DoctorCallback(Callback):
    """Feeds a :class:`Doctor` from the training loop's events.

    ``doctor``: an existing :class:`Doctor`, or None (default) to build one at
    ``on_fit_start`` from the trainer (its model, optimizer, loss function and task, with
    ``total_steps`` = epochs x batches per epoch) plus ``doctor_kwargs`` (e.g. ``echo=print``,
    ``regularization={...}``); the built one is then ``callback.doctor``.

    ``on_batch_start`` keeps the batch's inputs (and re-arms the probe after a resume),
    ``on_after_backward`` gives the doctor the loss before the optimizer step (so a NaN step
    is diagnosed with the weights it ran on), ``on_batch_end`` calls ``doctor.step`` and
    ``on_epoch_end`` ``doctor.epoch_end``. ``state_dict`` delegates to the doctor (JSON-able).

    Example::

        cb = DoctorCallback(echo=print)
        Trainer(model, optimizer, loss_fn, callbacks=[cb]).fit(batches, epochs=5)
        cb.doctor.findings
    """

    order = -10  # after callbacks that change the LR or stop training: it only watches

    def __init__(self, doctor: Doctor | None = None, **doctor_kwargs: Any):
        self.doctor = doctor
        self.doctor_kwargs = doctor_kwargs
        self._inputs: Any = None
        self._pending_state: dict[str, Any] | None = None

    def on_fit_start(self, trainer) -> None:
        if self.doctor is None:
            kwargs = dict(self.doctor_kwargs)
            if "total_steps" not in kwargs:
                kwargs["total_steps"] = _planned_steps(trainer)
            kwargs.setdefault("total_epochs", getattr(trainer, "epochs", None))
            kwargs.setdefault("loss_fn", trainer.loss_fn)
            kwargs.setdefault("task", trainer.task if trainer.task in TASKS else None)
            self.doctor = Doctor(trainer.model, trainer.optimizer, **kwargs)
        if self._pending_state is not None:
            self.doctor.load_state_dict(self._pending_state)
            self._pending_state = None

    def on_batch_start(self, trainer, step: int, batch: tuple) -> None:
        self._inputs = batch[0]
        doctor = self.doctor
        if doctor.prober.armed_step != doctor.step_count:
            doctor.arm()

    def on_after_backward(self, trainer, step: int, loss) -> None:
        self.doctor.after_backward(loss)

    def on_batch_end(self, trainer, step: int, loss, output, target) -> None:
        # fp16: the trainer's device flag of a step the GradScaler skipped (None otherwise)
        skipped = getattr(trainer, "step_skipped", None)
        self.doctor.step(loss, inputs=self._inputs, targets=target, outputs=output, skipped=skipped)
        self._inputs = None

    def on_epoch_end(self, trainer, epoch: int, logs: dict[str, Any]) -> None:
        self.doctor.epoch_end(logs)

    def on_fit_end(self, trainer) -> None:
        if self.doctor is not None:
            self.doctor.close()

    def state_dict(self) -> dict[str, Any]:
        if self.doctor is None:
            return self._pending_state or {}
        return self.doctor.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not state:
            return
        if self.doctor is None:
            self._pending_state = state  # applied when the doctor is built at fit start
        else:
            self.doctor.load_state_dict(state)


def _planned_steps(trainer) -> int | None:
    """Optimizer steps the trainer will take: epochs x ceil(batches / accumulate_steps)."""
    epochs = getattr(trainer, "epochs", None)
    batches = getattr(trainer, "train_batches", None)
    try:
        n = len(batches)
    except TypeError:
        return None
    k = getattr(trainer, "accumulate_steps", 1) or 1
    return epochs * -(-n // k) if epochs and n else None
