"""The checkpointer of a data-parallel run: one checkpoint, written by rank 0, holding every
rank's RNG state; a signal seen by any rank stops every rank at the same step.

Every rank runs this callback and decides to save at the same steps (the schedule depends on
the step and epoch only). A save gathers each rank's own state (a collective, see
:mod:`trainwise.training.trainer_state`), rank 0 writes it atomically, and every rank waits at
a barrier until the write is done: when training goes on, the checkpoint exists. A rank killed
anywhere in between leaves the others waiting in a collective; torchrun then stops them and,
with restarts left, starts every rank again with the same arguments, which (with
``--resume auto``) continue from the newest complete checkpoint.

A SIGINT/SIGTERM is only noted by the rank that gets it; the flag travels in the next step's
gradient all-reduce (or in the agreement at the end of an epoch), so every rank saves and stops
after the same step.
"""

from __future__ import annotations

from trainwise.callbacks.checkpointer import Checkpointer, _versions
from trainwise.training.distributed import Distributed


class DistributedCheckpointer(Checkpointer):
    """:class:`~trainwise.callbacks.checkpointer.Checkpointer` for ``world_size > 1``.

    Args:
        dist: the run's :class:`~trainwise.training.distributed.Distributed`.
        *args, **kwargs: as for ``Checkpointer`` (the manager of ranks other than 0 only
            reads: see ``CheckpointManager(writer=False)``).

    Example::

        cp = DistributedCheckpointer(dist, CheckpointManager(root, writer=dist.is_main))
    """

    def __init__(self, dist: Distributed, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dist = dist

    def save(self, trainer) -> None:
        state = {"trainer": trainer.state_dict(), "meta": self.meta, "versions": _versions()}
        if self.dist.is_main:
            path = self.manager.save(trainer.global_step, trainer.model.state_dict(), state)
            if path is not None:
                self.last_saved = path
        else:
            self.last_saved = self.manager.path_for(trainer.global_step)
        self.dist.barrier()  # nobody trains on before the checkpoint is complete

    def _handler(self, signum, frame):
        self.signal_received = signum
        self.dist.local_signal = signum

    def on_batch_end(self, trainer, step, loss, output, target):
        if self.dist.agreed_signal:  # agreed by every rank in this step's all-reduce
            self.signal_received = self.signal_received or self.dist.agreed_signal
            super().on_batch_end(trainer, step, loss, output, target)
        elif self.every_steps and trainer.global_step % self.every_steps == 0:
            self.save(trainer)

    def on_epoch_end(self, trainer, epoch, logs):
        # a signal that arrived during validation: agreed here, by every rank at once
        signal = self.dist.max_int(self.dist.local_signal)
        if signal and not self.dist.agreed_signal:
            self.dist.agreed_signal = signal
        if self.dist.agreed_signal:
            self.on_batch_end(trainer, trainer.global_step - 1, None, None, None)
        elif self.every_epochs and (epoch + 1) % self.every_epochs == 0:
            self.save(trainer)
