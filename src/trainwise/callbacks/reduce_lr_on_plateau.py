"""Lower the learning rate when a monitored metric plateaus.

Torch's ``ReduceLROnPlateau`` sets ``param_group['lr']`` directly, which a per-step schedule
would overwrite on its next step. This version scales the schedule's base LRs instead, so it
composes with any schedule (constant included) and its effect lives in the scheduler's
state_dict, which makes resume exact. It shares the improvement test with EarlyStopping.
Otherwise it follows Keras 3 (its test cases: ``tests/callbacks/
reduce_lr_on_plateau_keras_test.py``; the deliberate differences: ``docs/tricks.md``).
"""

from __future__ import annotations

from trainwise.callbacks.callback import Callback
from trainwise.callbacks.monitor import Monitor
from trainwise.errors import ConfigError


class ReduceLROnPlateau(Callback):
    """Multiply the LR by ``factor`` after ``patience`` epochs without improvement.

    Args:
        monitor: metric in the epoch logs (default "val_loss").
        factor: multiplier in (0, 1) (default 0.1).
        patience: epochs without improvement before reducing (default 10).
        cooldown: epochs after a reduction that are not counted as bad (default 0). Unlike
            Keras, where cooldown=1 changes nothing, cooldown=c delays the next possible
            reduction by exactly c epochs (docs/tricks.md).
        min_lr: the LR never goes below this (default 0).
        min_delta: smallest change that counts as improvement (default 1e-4).
        mode: "min", "max" or "auto".

    A new fit starts afresh (best, counter, cooldown, reductions), so one instance can serve
    several fits; a resumed fit continues from the state in its checkpoint.

    Example::

        plateau = tw.callbacks.ReduceLROnPlateau(factor=0.5, patience=2)
        tw.fit(model, data, callbacks=[plateau])
        plateau.reductions  # [(epoch, new lr), ...], 1-based epochs
    """

    order = 10  # before logging callbacks, so the logged LR is the new one

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        cooldown=0,
        min_lr=0.0,
        min_delta=1e-4,
        mode="auto",
    ):
        if not 0 < factor < 1:
            raise ConfigError(f"factor: {factor!r} is not allowed; must be in (0, 1)")
        if patience < 0 or cooldown < 0 or min_lr < 0:
            raise ConfigError("patience, cooldown and min_lr must be >= 0")
        self.monitor = Monitor(monitor, mode, min_delta)
        self.factor, self.patience, self.cooldown, self.min_lr = factor, patience, cooldown, min_lr
        self._resumed = False
        self.reset()

    def reset(self) -> None:
        """Forget the previous fit (called when a new, not resumed, fit starts)."""
        self.monitor.reset()
        self.cooldown_left = 0
        self.reductions: list[tuple[int, float]] = []  # (epoch, new lr)

    def on_fit_start(self, trainer):
        # the trainer loads a resumed fit's state before this event: keep that state
        if not self._resumed:
            self.reset()
        self._resumed = False

    def on_epoch_end(self, trainer, epoch, logs):
        improved = self.monitor.update(self.monitor.value(logs), epoch + 1)
        if self.cooldown_left > 0:  # epochs right after a reduction do not count as bad
            self.cooldown_left -= 1
            self.monitor.wait = 0
            return
        if improved or self.monitor.wait < self.patience:
            return
        sched, opt = trainer.scheduler, trainer.optimizer
        changed = False
        for i, group in enumerate(opt.param_groups):
            old = group["lr"]
            new = max(old * self.factor, self.min_lr)
            if old - new <= 1e-12:
                continue
            changed = True
            if sched is not None and hasattr(sched, "base_lrs"):
                # scale the schedule so its future steps keep the reduction
                sched.base_lrs[i] *= new / old
            group["lr"] = new
        if changed:
            self.reductions.append((epoch + 1, opt.param_groups[0]["lr"]))
        self.cooldown_left = self.cooldown
        self.monitor.wait = 0

    def state_dict(self):
        return {
            "monitor": self.monitor.state_dict(),
            "cooldown_left": self.cooldown_left,
            "reductions": [list(r) for r in self.reductions],
        }

    def load_state_dict(self, state):
        self.monitor.load_state_dict(state["monitor"])
        self.cooldown_left = state["cooldown_left"]
        self.reductions = [tuple(r) for r in state.get("reductions", [])]
        self._resumed = True
