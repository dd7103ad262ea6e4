"""Stop training when a monitored metric stops improving (Keras 3's ``EarlyStopping``).

The differences from Keras are listed in ``docs/tricks.md`` ("Early stopping and LR on
plateau"); Keras's own test cases are ported in ``tests/callbacks/early_stopping_keras_test.py``.
"""

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
        baseline: a value the metric must beat; an epoch that beats the best so far but not
            the baseline does not reset the patience counter, so a run that never beats it
            stops after ``patience`` epochs (default None).
        restore_best: at the end of training, load the weights of the best epoch, however
            training ended: stopped by this callback or another one, all epochs run, or the
            baseline never beaten (then the best of the epochs seen); an interrupted run
            (signal, to be resumed) keeps its current weights (default True).
        restore_best_weights: Keras spelling of ``restore_best``.
        start_from_epoch: epochs (0-based count, like Keras) not monitored at all, for warm-ups
            where no improvement is expected (default 0).

    A new fit starts afresh (best, counter, weights), so one instance can serve several fits;
    a resumed fit continues from the state in its checkpoint.

    Example::

        es = tw.callbacks.EarlyStopping(patience=3, start_from_epoch=2)
        tw.fit(model, data, callbacks=[es])
        es.restored_epoch  # 1-based epoch whose weights the model holds now (or None)
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
        start_from_epoch: int = 0,
    ):
        for name, value in (("patience", patience), ("start_from_epoch", start_from_epoch)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(
                    f"early_stopping.{name}: {value!r} is not allowed; must be an integer >= 0"
                )
        # the Monitor tracks the best epoch ignoring the baseline (Keras restores the best
        # epoch even when none beat it); the baseline only decides the patience counter
        self.monitor = Monitor(monitor, mode, min_delta)
        self.baseline = baseline
        self.patience = patience
        self.start_from_epoch = start_from_epoch
        self.restore_best = restore_best if restore_best_weights is None else restore_best_weights
        self._resumed = False
        self.reset()

    def reset(self) -> None:
        """Forget everything of the previous fit (called when a new, not resumed, fit starts)."""
        self.monitor.reset()
        self.best_weights: dict[str, Any] | None = None
        self.weights_epoch: int | None = None  # 1-based epoch of ``best_weights``
        self.stopped_epoch: int | None = None
        self.message: str | None = None  # why this callback stopped the run
        self.restored_epoch: int | None = None
        self.end_message: str | None = None  # the restore, when no stop message said it

    def _beats_baseline(self, value: float) -> bool:
        probe = copy.copy(self.monitor)
        probe.best = self.baseline
        return probe.is_improvement(value)

    def _restore_note(self) -> str:
        m = self.monitor
        if m.best is None:  # no finite value: Keras keeps the first monitored epoch
            return f"restoring epoch {self.weights_epoch} weights (no finite {m.monitor} seen)"
        return f"restoring epoch {self.weights_epoch} weights (best {m.monitor} {m.best:.4g})"

    def on_fit_start(self, trainer):
        # the trainer loads a resumed fit's state before this event: keep that state
        if not self._resumed:
            self.reset()
        self._resumed = False
        self.restored_epoch = self.end_message = None  # outcomes of a fit, never checkpointed

    def on_epoch_end(self, trainer, epoch, logs):
        value = self.monitor.value(logs)  # read first: a misspelt monitor fails at epoch 1
        if epoch < self.start_from_epoch:
            return
        m = self.monitor
        wait = m.wait
        improved = m.update(value, epoch + 1)
        if self.restore_best and (improved or self.best_weights is None):
            # the first monitored epoch stands in until one beats it (Keras)
            self.best_weights = copy.deepcopy(trainer.model.state_dict())
            self.weights_epoch = epoch + 1
        if improved:
            if self.baseline is not None and not self._beats_baseline(value):
                m.wait = wait + 1  # better than before, still not good enough
            return
        if m.wait >= self.patience and epoch > 0 and not trainer.stop_training:
            self.stopped_epoch = epoch + 1
            beat = self.baseline is None or (m.best is not None and self._beats_baseline(m.best))
            what = (
                f"{m.monitor} did not improve for {m.wait} epochs"
                if beat
                else f"{m.monitor} did not beat the baseline {self.baseline:.4g} in {m.wait} epochs"
            )
            if self.restore_best:
                self.message = f"{what}; {self._restore_note()}"
            elif m.best is not None:
                self.message = f"{what} (best {m.best:.4g} at epoch {m.best_epoch})"
            else:
                self.message = f"{what} (no finite value)"
            trainer.stop_training = True
            trainer.stop_reason = self.message

    def on_fit_end(self, trainer):
        # an interrupted run ends in a checkpoint that a resume continues from: its weights
        # must stay those of the last step; the restore happens when that run really ends
        interrupted = getattr(trainer, "interrupted", False)
        if not self.restore_best or self.best_weights is None or interrupted:
            return
        trainer.model.load_state_dict(self.best_weights)
        self.restored_epoch = self.weights_epoch
        if self.stopped_epoch is None:  # else the stop message already says it
            self.end_message = f"early stopping: {self._restore_note()}"

    def state_dict(self):
        # the best weights travel with the checkpoint so a resumed run restores the same epoch
        return {
            "monitor": self.monitor.state_dict(),
            "stopped_epoch": self.stopped_epoch,
            "message": self.message,
            "best_weights": self.best_weights,
            "weights_epoch": self.weights_epoch,
        }

    def load_state_dict(self, state):
        self.monitor.load_state_dict(state["monitor"])
        self.stopped_epoch = state.get("stopped_epoch")
        self.message = state.get("message")
        self.best_weights = state.get("best_weights")
        # checkpoints written before weights_epoch existed stored only improvements
        self.weights_epoch = state.get("weights_epoch", self.monitor.best_epoch)
        self._resumed = True
