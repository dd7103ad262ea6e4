"""The training loop.

One class, deliberately plain: a hand-written PyTorch loop with callback events around each
step. The hot path does only what a careful hand-written loop does plus a tensor add for the
running metrics; everything optional (augmentation, penalties, clipping, callbacks) is decided
once before the loop, so an unused feature costs nothing per step.
"""

from __future__ import annotations

import math
import time
from typing import Any

import torch
from torch import nn

from trainwise.callbacks.callback import CallbackList
from trainwise.training.metrics import RunningMetrics
from trainwise.training.seeding import rng_state, set_rng_state


class Trainer:
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
        grad_clip_norm / grad_clip_value: clip gradients by global norm / by value.
        from_logits: for "binary" accuracy, whether outputs are logits (default True).

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
        self.last_grad_norm: float | None = None
        self._epoch_lr: float | None = None

    # -- the loop ---------------------------------------------------------------------------
    def fit(self, train, val=None, epochs: int = 1) -> list[dict[str, Any]]:
        """Train until ``epochs`` (total, not additional) or a callback stops training."""
        self.train_batches, self.val_batches = train, val
        self.epochs = epochs
        fire = self.callbacks.fire
        fire("on_fit_start", self)
        while self.epoch < epochs and not self.stop_training:
            epoch = self.epoch
            fire("on_epoch_start", self, epoch)
            t0 = time.perf_counter()
            train_logs = self._train_epoch(train, epoch)
            if self.interrupted:
                break
            logs: dict[str, Any] = {"epoch": epoch + 1, **train_logs}
            if val is not None:
                logs.update({f"val_{k}": v for k, v in self.evaluate(val).items()})
            logs["lr"] = self._epoch_lr
            logs["time"] = time.perf_counter() - t0
            self.epoch = epoch + 1
            self.start_batch = self.batches_done = 0
            self.history.append(logs)
            fire("on_epoch_end", self, epoch, logs)
            if not math.isfinite(logs.get("loss", 0.0)) and not self.stop_training:
                self.stop_training = True
                self.stop_reason = (
                    f"training loss became {logs['loss']} in epoch {epoch + 1}; stopped. "
                    "Turn on the doctor (doctor=True) to find the first layer that went "
                    "non-finite, or lower the learning rate."
                )
        fire("on_fit_end", self)
        return self.history

    def _train_epoch(self, train, epoch: int) -> dict[str, float]:
        model, opt, loss_fn = self.model, self.optimizer, self.loss_fn
        fire, listeners = self.callbacks.fire, self.callbacks.listeners
        has_batch_start = bool(listeners["on_batch_start"])
        has_after_backward = bool(listeners["on_after_backward"])
        has_before_step = bool(listeners["on_before_optimizer_step"])
        has_batch_end = bool(listeners["on_batch_end"])
        augment, penalty, scheduler = self.augment, self.penalty, self.scheduler
        clip_norm, clip_value = self.grad_clip_norm, self.grad_clip_value
        device, on_cpu = self.device, self.device.type == "cpu"
        metrics = self.train_metrics
        if self.start_batch == 0:  # resuming mid-epoch keeps the restored running sums
            metrics.reset()
            self._epoch_lr = opt.param_groups[0]["lr"]
        self.batches_done = self.start_batch
        model.train()
        lr_steps = self.lr_steps
        for xb, yb in train.epoch(epoch, self.start_batch):
            step = self.global_step
            if not on_cpu:
                xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
            if has_batch_start:
                fire("on_batch_start", self, step, (xb, yb))
            if augment is not None:
                xb = augment(xb)
            out = model(xb)
            loss = loss_fn(out, yb)
            total = loss + penalty() if penalty is not None else loss
            opt.zero_grad(set_to_none=True)
            total.backward()
            if has_after_backward:
                fire("on_after_backward", self, step, loss)
            if clip_value is not None:
                torch.nn.utils.clip_grad_value_(model.parameters(), clip_value)
            if clip_norm is not None:
                self.last_grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            if has_before_step:
                fire("on_before_optimizer_step", self, step)
            lr_steps.append(opt.param_groups[0]["lr"])
            opt.step()
            if scheduler is not None:
                scheduler.step()
            self.global_step = step + 1
            self.batches_done += 1
            metrics.update(loss, out, yb)
            if has_batch_end:
                fire("on_batch_end", self, step, loss, out, yb)
            if self.interrupted:
                break
        return metrics.compute()

    def interrupt(self, reason: str) -> None:
        """Stop at the end of the current step, without finishing the epoch."""
        self.interrupted = True
        self.stop_training = True
        self.stop_reason = reason

    # -- exact resume -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue bit for bit (the model's weights travel separately)."""
        return {
            "epoch": self.epoch,
            "global_step": self.global_step,
            "start_batch": self.batches_done,
            "epoch_lr": self._epoch_lr,
            "history": self.history,
            "lr_steps": self.lr_steps,
            "train_metrics": {
                "count": self.train_metrics.count,
                "sums": dict(self.train_metrics.sums),
            },
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "callbacks": self.callbacks.state_dict(),
            "rng": rng_state(),
            "stop_training": self.stop_training and not self.interrupted,
            "stop_reason": None if self.interrupted else self.stop_reason,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch = state["epoch"]
        self.global_step = state["global_step"]
        self.start_batch = state["start_batch"]
        self._epoch_lr = state["epoch_lr"]
        self.history = list(state["history"])
        self.lr_steps = list(state["lr_steps"])
        self.train_metrics.count = state["train_metrics"]["count"]
        self.train_metrics.sums = dict(state["train_metrics"]["sums"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.callbacks.load_state_dict(state["callbacks"])
        set_rng_state(state["rng"])
        self.stop_training = state.get("stop_training", False)
        self.stop_reason = state.get("stop_reason")

    @torch.no_grad()
    def evaluate(self, batches) -> dict[str, float]:
        """Loss and metrics over ``batches`` in eval mode (dropout off, BatchNorm running stats);
        restores the previous mode afterwards."""
        model, was_training = self.model, self.model.training
        model.eval()
        m = self.val_metrics
        m.reset()
        for xb, yb in batches.epoch(0):
            if self.device.type != "cpu":
                xb, yb = xb.to(self.device), yb.to(self.device)
            out = model(xb)
            m.update(self.loss_fn(out, yb), out, yb)
        model.train(was_training)
        return m.compute()

    @torch.no_grad()
    def predict(self, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """Model outputs for ``x`` in eval mode, batched."""
        model, was_training = self.model, self.model.training
        model.eval()
        outs = [
            model(x[i : i + batch_size].to(self.device)).cpu() for i in range(0, len(x), batch_size)
        ]
        model.train(was_training)
        return torch.cat(outs) if outs else torch.empty(0)
