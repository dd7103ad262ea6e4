"""The callback interface: one class, one method per event of the training loop.

Events, in order: ``on_fit_start`` -> (``on_epoch_start`` -> (``on_batch_start`` ->
``on_after_backward`` -> ``on_before_optimizer_step`` -> ``on_batch_end``)* ->
``on_epoch_end``)* -> ``on_fit_end``. Each gets the :class:`~trainwise.training.trainer.Trainer`,
which exposes ``model``, ``optimizer``, ``scheduler``, ``epoch``, ``global_step``, ``history``
and ``stop_training`` (set it to end training after the current epoch).

Callbacks that keep state across epochs implement ``state_dict``/``load_state_dict`` so a
resumed run continues exactly, and start each new fit afresh in ``on_fit_start`` (Keras's
``on_train_begin`` contract: one instance can serve several fits). The trainer of a resumed
run calls ``load_state_dict`` *before* ``on_fit_start``, so that reset is skipped when a
``load_state_dict`` came first (see ``EarlyStopping.on_fit_start``).

A callback may set ``end_message`` (a string) in ``on_fit_end`` for ``tw.fit`` to print at
the end of a verbose run (EarlyStopping says which epoch's weights it restored).
"""

from __future__ import annotations

from typing import Any


class Callback:
    """Base class; override only the events you need (the loop skips the others for free).

    Example::

        class PrintLoss(tw.callbacks.Callback):
            def on_epoch_end(self, trainer, epoch, logs):
                print(epoch, logs["loss"])
    """

    #: Higher runs earlier within an event (e.g. LR changes before logging).
    order: int = 0

    def on_fit_start(self, trainer) -> None: ...
    def on_fit_end(self, trainer) -> None: ...
    def on_epoch_start(self, trainer, epoch: int) -> None: ...
    def on_epoch_end(self, trainer, epoch: int, logs: dict[str, Any]) -> None: ...
    def on_batch_start(self, trainer, step: int, batch: tuple) -> None: ...
    def on_after_backward(self, trainer, step: int, loss) -> None: ...
    def on_before_optimizer_step(self, trainer, step: int) -> None: ...
    def on_batch_end(self, trainer, step: int, loss, output, target) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


EVENTS = (
    "on_fit_start",
    "on_fit_end",
    "on_epoch_start",
    "on_epoch_end",
    "on_batch_start",
    "on_after_backward",
    "on_before_optimizer_step",
    "on_batch_end",
)


class CallbackList:
    """Dispatches each event to the callbacks that override it.

    The per-event lists are computed once, so a batch event that nobody listens to costs one
    empty loop rather than a Python call per callback per step.
    """

    def __init__(self, callbacks):
        self.callbacks = sorted(callbacks, key=lambda c: -c.order)
        self.listeners = {
            ev: [
                getattr(c, ev)
                for c in self.callbacks
                if getattr(type(c), ev) is not getattr(Callback, ev)
            ]
            for ev in EVENTS
        }

    def __iter__(self):
        return iter(self.callbacks)

    def fire(self, event: str, *args) -> None:
        for fn in self.listeners[event]:
            fn(*args)

    def state_dict(self) -> dict[str, Any]:
        return {f"{i}:{type(c).__name__}": c.state_dict() for i, c in enumerate(self.callbacks)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for i, c in enumerate(self.callbacks):
            key = f"{i}:{type(c).__name__}"
            if key in state:
                c.load_state_dict(state[key])
