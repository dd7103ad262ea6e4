"""Exponential moving average (EMA) of the weights, with TensorFlow's warm-up.

After every optimizer step each shadow tensor moves towards the live one::

    shadow = decay_t * shadow + (1 - decay_t) * weight
    decay_t = min(decay, (1 + t) / (10 + t))     # warmup=True (default)
    decay_t = decay                              # warmup=False

``t`` is the number of EMA updates made before this one (0 for the first update after the
first optimizer step), which is what ``tf.train.ExponentialMovingAverage(decay, num_updates)``
receives when ``num_updates`` is the global step read before it is incremented. The shadow
starts as a copy of the weights when training starts (TensorFlow: "the shadow's initial value
is the variable's initial value"). The source's example follows with ``decay=0.99``: shadow 0,
v = 5 at t = 0 gives ``min(0.99, 1/10) = 0.1`` and ``0.1*0 + 0.9*5 = 4.5``; then v = 10 at
t = 10000 gives ``min(0.99, 10001/10010) = 0.99`` and ``0.99*4.5 + 0.01*10 = 4.555``. (With
0.999 the second value would be 4.5055; the blog's text says 0.999 in one comment but its code
uses 0.99.) The warm-up keeps the early average from being dominated by the random
initialisation: with decay 0.999 the average would otherwise need thousands of steps to forget
it.

Buffers: floating-point buffers (BatchNorm ``running_mean``/``running_var``) are averaged with
the same ``decay_t`` as the weights, like timm's ``ModelEma``. The live running statistics
belong to the live weights; averaged statistics track the averaged weights much more closely,
and unlike a post-hoc ``torch.optim.swa_utils.update_bn`` pass this needs no extra sweep over
the data. Integer buffers (``num_batches_tracked``) are counters, so they are copied.

Built on ``torch.optim.swa_utils.AveragedModel`` (which keeps the copy and walks parameters and
buffers grouped by device and dtype); only the step-dependent decay is ours, because torch's
``get_ema_multi_avg_fn`` has a fixed decay.

Cost: one extra copy of the model's weights in memory, one fused ``lerp`` over all of them per
optimizer step (about the cost of an SGD step), and, with ``evaluate=True``, one extra
validation pass per epoch. On CUDA, ``AveragedModel`` reads its small step counter on the host
once per update (one tiny synchronisation per step).
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch.optim.swa_utils import AveragedModel

from trainwise.callbacks.callback import Callback
from trainwise.errors import ConfigError


def ema_decay(decay: float, num_updates: int | None) -> float:
    """TensorFlow's warm-up decay ``min(decay, (1 + t) / (10 + t))`` for ``t = num_updates``;
    ``num_updates=None`` gives ``decay`` itself.

    Example::

        ema_decay(0.99, 0)      # 0.1
        ema_decay(0.99, 10000)  # 0.99
    """
    if num_updates is None:
        return decay
    return min(decay, (1.0 + num_updates) / (10.0 + num_updates))


class EMA(Callback):
    """Keep an exponential moving average of the model's weights and buffers.

    Args:
        decay: the long-run decay, in [0, 1] (default 0.999; 0 makes the average the live
            weights, 1 freezes it at the starting weights).
        warmup: use TensorFlow's ``min(decay, (1 + t) / (10 + t))`` (default True).
        use_for_final: at the end of a finished (not interrupted) fit, copy the averaged
            weights into the model, so ``result.model``, ``model.safetensors`` and the test
            metrics use them (default False).
        evaluate: after each epoch with validation data, evaluate the averaged weights too and
            add ``ema_val_<metric>`` (``ema_val_loss``, ``ema_val_accuracy``, ...) to the epoch
            logs (default True).

    The state (in checkpoints under ``state["trainer"]["callbacks"]["<i>:EMA"]``) is
    ``{"decay": float, "num_updates": int, "weights": {name: tensor}}`` with the names of the
    model's own ``state_dict()``, so other code can load the averaged weights into a fresh
    model without this class. A new fit starts a fresh average (one instance can serve several
    fits); a resumed fit continues the average from its checkpoint.

    Example::

        ema = tw.callbacks.EMA(decay=0.999, use_for_final=True)
        result = tw.fit(model, (x, y), validation_split=0.2, epochs=5, callbacks=[ema])
        result.history[-1]["ema_val_loss"]
    """

    # Higher runs earlier: the ema_val_* keys must be in the logs before ReduceLROnPlateau (10),
    # EarlyStopping / ModelCheckpoint (0) and MetricsLog (-10) read them, and the average must
    # be updated before the Checkpointer (-30) saves a step.
    order = 20

    def __init__(
        self,
        decay: float = 0.999,
        warmup: bool = True,
        use_for_final: bool = False,
        evaluate: bool = True,
    ):
        if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 <= decay <= 1:
            raise ConfigError(f"ema.decay: {decay!r} is not allowed; must be a number in [0, 1]")
        self.decay = float(decay)
        self.warmup = warmup
        self.use_for_final = use_for_final
        self.evaluate = evaluate
        self.num_updates = 0  # t: EMA updates made so far
        self.averaged: AveragedModel | None = None
        self._decay_t = self.decay
        self._pending: dict[str, torch.Tensor] | None = None  # weights loaded before fit start
        self._last_step: int | None = None

    # -- the average --------------------------------------------------------------------------
    @property
    def module(self) -> torch.nn.Module:
        """The averaged copy of the model (available from the start of fit)."""
        if self.averaged is None:
            raise RuntimeError("EMA: the average exists only once fit has started")
        return self.averaged.module

    def _avg(self, ema_tensors, live_tensors, _n_averaged) -> None:
        # called by AveragedModel once per (device, dtype) group
        if ema_tensors[0].is_floating_point() or ema_tensors[0].is_complex():
            torch._foreach_lerp_(ema_tensors, live_tensors, 1.0 - self._decay_t)
        else:  # integer buffers are counters (num_batches_tracked): averaging means nothing
            torch._foreach_copy_(ema_tensors, live_tensors)

    def update(self, model: torch.nn.Module) -> None:
        """One EMA step towards ``model``'s current weights (called after each optimizer step)."""
        self._decay_t = ema_decay(self.decay, self.num_updates if self.warmup else None)
        self.averaged.update_parameters(model)
        self.num_updates += 1

    def _build(self, model: torch.nn.Module) -> None:
        self.averaged = AveragedModel(model, multi_avg_fn=self._avg, use_buffers=True)
        self.averaged.requires_grad_(False)  # never trained: no autograd bookkeeping
        if self._pending is not None:
            self.averaged.module.load_state_dict(self._pending)
            self._pending = None
        else:  # a fresh fit (also when one instance is reused for several fits)
            self.num_updates = 0
            self.averaged.update_parameters(model)  # n_averaged 0 -> a plain copy
        # keep AveragedModel's counter "not zero" so every later call averages
        self.averaged.n_averaged.fill_(self.num_updates + 1)

    # -- events -------------------------------------------------------------------------------
    def on_fit_start(self, trainer):
        self._build(trainer.model)
        self._last_step = trainer.global_step
        if self.use_for_final:
            for cb in getattr(trainer, "callbacks", ()):
                if getattr(cb, "restore_best", False):
                    warnings.warn(
                        "EMA(use_for_final=True) and EarlyStopping(restore_best=True): the "
                        "early-stopping restore runs after the EMA copy, so the final model "
                        "gets the best epoch's raw weights; set restore_best=False to keep "
                        "the EMA weights",
                        stacklevel=2,
                    )

    def on_batch_end(self, trainer, step, loss, output, target):
        # only after a real optimizer step (robust to loops that fire per micro-batch)
        if trainer.global_step != self._last_step:
            self._last_step = trainer.global_step
            self.update(trainer.model)

    def on_epoch_end(self, trainer, epoch, logs):
        val = getattr(trainer, "val_batches", None)
        if not self.evaluate or val is None:
            return
        # evaluate through the trainer with the averaged copy swapped in: same loss, metrics,
        # precision and device handling as the raw validation, and no weight copying
        live = trainer.model
        trainer.model = self.averaged.module
        try:
            ema_logs = trainer.evaluate(val)
        finally:
            trainer.model = live
        logs.update({f"ema_val_{k}": v for k, v in ema_logs.items()})

    def on_fit_end(self, trainer):
        self._pending = None  # a load during this fit was applied at once; the next one is new
        if self.use_for_final and not getattr(trainer, "interrupted", False):
            trainer.model.load_state_dict(self.averaged.module.state_dict())

    # -- resume -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        # live tensors, not copies: the checkpoint writer copies them to the CPU anyway
        if self.averaged is not None:
            weights = {k: v.detach() for k, v in self.averaged.module.state_dict().items()}
        else:
            weights = dict(self._pending or {})
        return {"decay": self.decay, "num_updates": self.num_updates, "weights": weights}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.num_updates = int(state["num_updates"])
        weights = state.get("weights") or None
        # kept for the next fit start, which rebuilds the average from it: also when this
        # instance already ran a fit (its old average must not make the resumed fit fresh)
        self._pending = weights
        if self.averaged is not None and weights is not None:  # takes effect in a running fit
            self.averaged.module.load_state_dict(weights)
            self.averaged.n_averaged.fill_(self.num_updates + 1)
