"""The training loop.

One class, deliberately plain: a hand-written PyTorch loop with callback events around each
step. The hot path does only what a careful hand-written loop does plus a tensor add for the
running metrics; everything optional (augmentation, penalties, clipping, mixed precision,
gradient accumulation, callbacks) is decided once before the loop, so an unused feature costs
nothing per step beyond a Python ``if``.

Gradient accumulation (``accumulate_steps=k``): k consecutive batches of an epoch form one
optimizer step; each micro-batch's loss is divided by the group size so the summed gradient is
the mean over the group (the same update as one k-times-larger batch when the micro-batches
are equal-sized, the loss is mean-reduced and there is no BatchNorm). The last group of an
epoch may be shorter and is divided by its own size. A "step" is an optimizer step everywhere:
``global_step``, ``lr_steps``, the scheduler, ``on_after_backward``,
``on_before_optimizer_step`` and ``on_batch_end`` (which get the group's mean loss and the last
micro-batch's output and target) all count optimizer steps; ``on_batch_start`` fires for every
micro-batch. Interrupts and step checkpoints happen only at optimizer-step boundaries, so a
checkpoint never holds half-accumulated gradients and resume stays exact.
"""

from __future__ import annotations

import math
import time
from typing import Any

import torch
from torch import nn

from trainwise.callbacks.callback import CallbackList
from trainwise.models.modes import evaluating
from trainwise.models.predict import predict_outputs
from trainwise.training.amp import resolve_precision, tf32_mode
from trainwise.training.compiled import CompiledModel
from trainwise.training.epoch_loop import EpochLoop
from trainwise.training.metrics import RunningMetrics
from trainwise.training.trainer_state import TrainerState


class Trainer(EpochLoop, TrainerState):
    """Runs epochs of training and validation and fires callback events.

    Args:
        model: any ``nn.Module`` producing outputs the loss accepts.
        optimizer: a ``torch.optim.Optimizer`` over the model's parameters.
        loss_fn: ``loss_fn(output, target) -> scalar tensor``.
        task: "classification", "binary" or "regression" (picks the metrics).
        scheduler: optional ``torch.optim.lr_scheduler`` stepped after every optimizer step.
        penalty: optional callable returning a weight penalty added to the loss (L1/L2).
        augment: optional callable applied to training input batches only.
        callbacks: list of :class:`~trainwise.callbacks.Callback`.
        device: where the model and batches go (default "cpu").
        grad_clip_norm / grad_clip_value: clip gradients by global norm / by value (default
            off). With norm clipping the pre-clip global norm is logged per epoch as
            ``grad_norm`` (mean over steps) and ``grad_norm_max``; ``clip_grad_norm_``
            computes it anyway, so this costs two tiny tensor ops per step.
        from_logits: for "binary" accuracy, whether outputs are logits (default True).
        precision: "fp32" (default), "bf16", "fp16" or "auto" (see
            :mod:`trainwise.training.amp`); fp16 adds a GradScaler whose state is part of
            :meth:`state_dict`, and logs per epoch ``grad_scale`` and ``skipped_steps`` (the
            steps whose gradients overflowed, which the scaler did not apply).
        tf32: let float32 matmuls/convolutions on CUDA use TF32 during :meth:`fit` (True),
            forbid it (False) or leave torch's setting (default None); restored afterwards.
        compile: run the training and evaluation forward passes through ``torch.compile``
            (default False); steps on which the model has forward hooks (the doctor's
            probes) run the plain module instead, counted in ``eager_steps`` (see
            :mod:`trainwise.training.compiled`).
        accumulate_steps: micro-batches per optimizer step (default 1; see the module doc);
            an int >= 1, checked by ``training.accumulate_steps`` where ``tw.fit`` is called.
        run_dir: the run directory, for callbacks that write files beside the run's
            (default None).
        dist: a :class:`~trainwise.training.distributed.Distributed` for data-parallel
            training (default None: one process, the plain loop). The batch sources must
            then be :class:`~trainwise.training.sharded_batches.ShardedBatches`.
        allow_world_size_change: resume a checkpoint saved by another number of processes
            (default False: refused, see :mod:`trainwise.training.trainer_state`).

    Example::

        trainer = Trainer(model, torch.optim.Adam(model.parameters()), nn.CrossEntropyLoss(),
                          task="classification")
        history = trainer.fit(train_batches, val_batches, epochs=5)
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        loss_fn,
        task: str = "classification",
        *,
        scheduler=None,
        penalty=None,
        augment=None,
        callbacks=(),
        device: str | torch.device = "cpu",
        grad_clip_norm: float | None = None,
        grad_clip_value: float | None = None,
        from_logits: bool = True,
        metrics: list[str] | None = None,
        precision: str = "fp32",
        accumulate_steps: int = 1,
        run_dir=None,
        tf32: bool | None = None,
        compile: bool = False,
        dist=None,
        allow_world_size_change: bool = False,
    ):
        self.device = torch.device(device)
        self.model = model.to(self.device)
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.task = task
        self.scheduler = scheduler
        self.penalty = (
            penalty if (penalty is not None and getattr(penalty, "active", True)) else None
        )
        self.augment = augment
        self.callbacks = CallbackList(list(callbacks))
        self.grad_clip_norm = grad_clip_norm
        self.grad_clip_value = grad_clip_value
        self.train_metrics = RunningMetrics(task, metrics, from_logits=from_logits)
        self.val_metrics = RunningMetrics(task, metrics, from_logits=from_logits)
        self.epoch = 0  # index of the epoch being (or next to be) trained, 0-based
        self.global_step = 0  # optimizer steps taken
        self.start_batch = 0  # first batch of ``epoch`` to run (non-zero when resuming mid-epoch)
        self.history: list[dict[str, Any]] = []
        self.lr_steps: list[float] = []  # LR used at every optimizer step
        self.batches_done = 0  # batches of ``epoch`` finished (for mid-epoch checkpoints)
        self.stop_training = False
        self.stop_reason: str | None = None
        self.interrupted = False  # set by interrupt(): leave at the end of the current step
        self.last_grad_norm: torch.Tensor | None = None  # pre-clip global norm, last step
        self.precision = resolve_precision(precision, self.device)
        self.scaler = self.precision.make_scaler()  # fp16 only
        self.tf32 = tf32
        self.compiled = CompiledModel(self.model) if compile else None
        self.accumulate_steps = accumulate_steps
        self.run_dir = run_dir
        self.dist = dist
        self.allow_world_size_change = allow_world_size_change
        self._epoch_lr: float | None = None
        # pre-clip gradient norms of this epoch, kept as tensors (no host sync per step)
        self._norm_sum: torch.Tensor | None = None
        self._norm_max: torch.Tensor | None = None
        self._norm_count: int | torch.Tensor = 0
        self._skipped: int | torch.Tensor = 0  # fp16 steps the scaler skipped this epoch
        #: fp16: a device flag, non-zero when the scaler skipped the last step (else None);
        #: the doctor reads it on probed steps only
        self.step_skipped: torch.Tensor | None = None

    @property
    def eager_steps(self) -> int:
        """With ``compile``: steps that ran the plain module because of hooks (else 0)."""
        return self.compiled.eager_steps if self.compiled is not None else 0

    # -- the loop ---------------------------------------------------------------------------
    def fit(self, train, val=None, epochs: int = 1) -> list[dict[str, Any]]:
        """Train until ``epochs`` (total, not additional) or a callback stops training."""
        with tf32_mode(self.tf32):
            return self._fit(train, val, epochs)

    def _fit(self, train, val, epochs: int) -> list[dict[str, Any]]:
        self.train_batches, self.val_batches = train, val
        self.epochs = epochs
        fire = self.callbacks.fire
        if self.dist is not None:
            self.dist.broadcast_model(self.model)
        fire("on_fit_start", self)
        while self.epoch < epochs and not self.stop_training:
            epoch = self.epoch
            fire("on_epoch_start", self, epoch)
            t0 = time.perf_counter()
            train_logs = self._train_epoch(train, epoch)
            if self.interrupted:
                break
            logs: dict[str, Any] = {"epoch": epoch + 1, **train_logs}
            if self.dist is not None:  # validate with rank 0's BatchNorm statistics
                self.dist.broadcast_model(self.model, buffers_only=True)
            if val is not None:
                logs.update({f"val_{k}": v for k, v in self.evaluate(val).items()})
            logs["lr"] = self._epoch_lr
            logs["time"] = time.perf_counter() - t0
            self.epoch = epoch + 1
            self.start_batch = self.batches_done = 0
            self.history.append(logs)
            fire("on_epoch_end", self, epoch, logs)
            if self.dist is not None and self.dist.any(self.stop_training):
                # a stop decided on any rank stops every rank after this same epoch
                self.stop_training = True
                self.stop_reason = self.stop_reason or "another rank stopped training"
            if not math.isfinite(logs.get("loss", 0.0)) and not self.stop_training:
                self.stop_training = True
                self.stop_reason = (
                    f"training loss became {logs['loss']} in epoch {epoch + 1}; stopped. "
                    "Turn on the doctor (doctor=True) to find the first layer that went "
                    "non-finite, or lower the learning rate."
                )
        fire("on_fit_end", self)
        return self.history

    def interrupt(self, reason: str) -> None:
        """Stop at the end of the current step, without finishing the epoch."""
        self.interrupted = True
        self.stop_training = True
        self.stop_reason = reason

    def _net(self) -> nn.Module:
        """The module for a forward pass outside the step: compiled unless hooks are on."""
        return self.compiled.pick(count=False) if self.compiled is not None else self.model

    def _forward(self, xb: torch.Tensor) -> torch.Tensor:
        net = self._net()
        if self.precision.dtype is None:
            return net(xb)
        with self.precision.autocast():
            return net(xb).float()

    def evaluate(self, batches) -> dict[str, float]:
        """Loss and metrics over ``batches`` in eval mode (dropout off, BatchNorm running stats),
        in the training precision; restores every module's previous mode afterwards."""
        m = self.val_metrics
        m.reset()
        net, device = self._net(), self.device
        with evaluating(self.model):
            for xb, yb in batches.epoch(0):
                if yb.shape[0] == 0:  # a rank's empty slice of a short batch
                    continue
                if device.type != "cpu":  # asynchronous from pinned memory (see batches.py)
                    xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
                if self.precision.dtype is None:
                    out = net(xb)
                    loss = self.loss_fn(out, yb)
                else:
                    with self.precision.autocast():
                        out = net(xb)
                        loss = self.loss_fn(out, yb)
                m.update(loss, out, yb)
        if self.dist is not None:  # every rank scored its slice: the sums cover all samples
            m = self.dist.reduced_metrics(m)
        return m.compute()

    def predict(self, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """Model outputs for ``x`` in eval mode, batched, as float32 on the CPU (mixed precision
        outputs are cast back); see :func:`trainwise.models.predict.predict_outputs`."""
        return predict_outputs(self.model, x, batch_size, self.device, forward=self._forward)
