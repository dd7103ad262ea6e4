"""The doctor as a trainwise callback, for :class:`~trainwise.training.trainer.Trainer` runs."""

from __future__ import annotations

from typing import Any

import torch

from trainwise.callbacks.callback import Callback
from trainwise.doctor.doctor import Doctor
from trainwise.doctor.trainer_replay import TrainerReplay
from trainwise.vocabulary import TASKS


class DoctorCallback(Callback):
    """Feeds a :class:`Doctor` from the training loop's events.

    ``doctor``: an existing :class:`Doctor`, or None (default) to build one at
    ``on_fit_start`` from the trainer (its model, optimizer, loss function and task, with
    ``total_steps`` = epochs x batches per epoch) plus ``doctor_kwargs`` (e.g. ``echo=print``,
    ``regularization={...}``); the built one is then ``callback.doctor``.

    ``on_batch_start`` keeps the batch's inputs (and re-arms the probe after a resume) and
    feeds the :class:`~trainwise.doctor.trainer_replay.TrainerReplay` that lets the doctor
    read losses lazily yet diagnose a NaN step on the weights it ran on (set as
    ``doctor.replay``; not under ``torch.distributed`` nor with ``read_every=1``);
    ``on_after_backward`` gives the doctor the loss before the optimizer step (read there on
    probed steps only), ``on_batch_end`` calls ``doctor.step`` and ``on_epoch_end``
    ``doctor.epoch_end``. ``state_dict`` delegates to the doctor (JSON-able; pending reads are
    judged first).

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
        self._replay: TrainerReplay | None = None

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
        self._replay = None
        if self.doctor.reader.every > 1 and _replayable(trainer):
            self._replay = TrainerReplay(trainer, self.doctor)
            self.doctor.replay = self._replay.locate

    def on_batch_start(self, trainer, step: int, batch: tuple) -> None:
        self._inputs = batch[0]
        doctor = self.doctor
        if doctor.prober.armed_step != doctor.step_count:
            doctor.arm()
        if self._replay is not None:
            self._replay.batch(step, batch[0], batch[1])

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
            self.doctor.close()  # judges what is pending (a replay may still be needed)
            if self._replay is not None:
                self.doctor.replay = self._replay = None  # frees the window's copies

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


def _replayable(trainer) -> bool:
    """Whether the trainer's epoch loop can replay a read window on this process alone (not
    under ``torch.distributed``: the other ranks would not take part in the replay)."""
    if not hasattr(trainer, "_train_epoch") or not hasattr(trainer, "batches_done"):
        return False
    dist = torch.distributed
    return not (dist.is_available() and dist.is_initialized())


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
