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
import warnings
from typing import Any

import torch
from torch import nn

from trainwise.callbacks.callback import CallbackList
from trainwise.errors import ConfigError
from trainwise.models.modes import evaluating
from trainwise.models.predict import predict_outputs
from trainwise.training.amp import resolve_precision, tf32_mode
from trainwise.training.compiled import CompiledModel
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
        compiled, net = self.compiled, model  # net: the module this step's forward runs
        fire, listeners = self.callbacks.fire, self.callbacks.listeners
        has_batch_start = bool(listeners["on_batch_start"])
        has_after_backward = bool(listeners["on_after_backward"])
        has_before_step = bool(listeners["on_before_optimizer_step"])
        has_batch_end = bool(listeners["on_batch_end"])
        augment, penalty, scheduler = self.augment, self.penalty, self.scheduler
        clip_norm, clip_value = self.grad_clip_norm, self.grad_clip_value
        device, on_cpu = self.device, self.device.type == "cpu"
        metrics = self.train_metrics
        amp, scaler = self.precision, self.scaler
        use_amp = amp.dtype is not None
        k = self.accumulate_steps
        n_batches = self._num_batches(train) if k > 1 else 0
        if self.start_batch == 0:  # resuming mid-epoch keeps the restored running sums
            metrics.reset()
            self._epoch_lr = opt.param_groups[0]["lr"]
            self._norm_sum = self._norm_max = None
            self._norm_count = self._skipped = 0
        self.batches_done = i = self.start_batch
        model.train()
        lr_steps = self.lr_steps
        group_loss = None  # summed detached micro-batch losses of the current group
        for xb, yb in train.epoch(epoch, self.start_batch):
            step = self.global_step
            if not on_cpu:
                xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
            if has_batch_start:
                fire("on_batch_start", self, step, (xb, yb))
            if augment is not None:
                xb = augment(xb)
            if compiled is not None:
                net = compiled.pick()
            if use_amp:
                with amp.autocast():
                    out = net(xb)
                    loss = loss_fn(out, yb)
            else:
                out = net(xb)
                loss = loss_fn(out, yb)
            total = loss + penalty() if penalty is not None else loss
            if k == 1:
                opt.zero_grad(set_to_none=True)
                at_step = True
                step_loss = loss
            else:
                pos = i % k
                group = min(k, n_batches - (i - pos))  # the epoch's last group may be shorter
                at_step = pos == group - 1
                if pos == 0 or i == self.start_batch:
                    opt.zero_grad(set_to_none=True)
                    group_loss = loss.detach()
                else:
                    group_loss = group_loss + loss.detach()
                total = total / group
                step_loss = group_loss / group if at_step else loss
            if scaler is not None:
                scaler.scale(total).backward()
            else:
                total.backward()
            i += 1
            self.batches_done = i
            metrics.update(loss, out, yb)
            if not at_step:
                continue
            if scaler is not None:
                scaler.unscale_(opt)  # callbacks and clipping see the true gradients
            if has_after_backward:
                fire("on_after_backward", self, step, step_loss)
            if clip_value is not None:
                torch.nn.utils.clip_grad_value_(model.parameters(), clip_value)
            if clip_norm is not None:
                norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
                self.last_grad_norm = norm
                self._track_norm(norm)
            if has_before_step:
                fire("on_before_optimizer_step", self, step)
            lr_steps.append(opt.param_groups[0]["lr"])
            if scaler is not None:
                scaler.step(opt)  # skipped when the gradients overflowed
                self._count_skipped(scaler)
                scaler.update()
            else:
                opt.step()
            if scheduler is not None:
                self._step_scheduler(scheduler)
            self.global_step = step + 1
            if has_batch_end:
                fire("on_batch_end", self, step, step_loss, out, yb)
            if self.interrupted:
                break
        return self._epoch_logs(clip_norm is not None)

    def _step_scheduler(self, scheduler) -> None:
        if self.scaler is None:
            scheduler.step()
            return
        with warnings.catch_warnings():
            # a step the scaler skipped (overflow) still advances the schedule, as global_step
            # counts it; torch warns about that once, misleadingly
            warnings.filterwarnings("ignore", "Detected call of `lr_scheduler.step")
            scheduler.step()

    def _epoch_logs(self, with_norm: bool) -> dict[str, Any]:
        """The epoch's running sums, read to the host together: one device sync per epoch."""
        extra: dict[str, Any] = {}
        if with_norm and self._norm_sum is not None:
            extra |= {"norm_sum": self._norm_sum, "norm_max": self._norm_max}
            extra["norm_count"] = self._norm_count
        if self.scaler is not None:
            extra["skipped"] = self._skipped
        logs, extra = self.train_metrics.compute_with(extra)
        if extra.get("norm_count"):
            logs["grad_norm"] = extra["norm_sum"] / extra["norm_count"]
            logs["grad_norm_max"] = extra["norm_max"]
        if self.scaler is not None:
            logs["grad_scale"] = self.scaler.get_scale()
            logs["skipped_steps"] = int(extra["skipped"])
        return logs

    def _track_norm(self, norm: torch.Tensor) -> None:
        """Add one pre-clip norm to the epoch's sum and max, on the device (no host read).
        With fp16 a step whose gradients overflowed is skipped by the scaler, so its infinite
        norm is left out too: masked to 0 (sum) and -inf (max), and not counted."""
        norm = norm.detach().float()
        if self.scaler is not None:
            finite = torch.isfinite(norm)
            self._norm_count = self._norm_count + finite.long()
            if self._norm_sum is None:  # 0 + x and max(-inf, x) are x to the bit
                self._norm_sum = torch.zeros_like(norm)
                self._norm_max = torch.full_like(norm, -math.inf)
            self._norm_sum = self._norm_sum + torch.where(finite, norm, 0.0)
            self._norm_max = torch.maximum(self._norm_max, torch.where(finite, norm, -math.inf))
            return
        if self._norm_sum is None:
            self._norm_sum, self._norm_max = norm.clone(), norm.clone()
        else:
            self._norm_sum = self._norm_sum + norm
            self._norm_max = torch.maximum(self._norm_max, norm)
        self._norm_count += 1

    def _count_skipped(self, scaler: torch.amp.GradScaler) -> None:
        """Add this step's overflow flag (1 when the scaler skipped the step) to the epoch's
        count, on the device; read between ``scaler.step`` and ``scaler.update``, which clears
        it (torch keeps it per optimizer; the accessor is private but stable since 1.6)."""
        found = scaler._found_inf_per_device(self.optimizer).values()
        self.step_skipped = sum(f.to(self.device) for f in found)
        self._skipped = self._skipped + self.step_skipped

    @staticmethod
    def _num_batches(train) -> int:
        try:
            return len(train)
        except TypeError:
            raise ConfigError(
                "training.accumulate_steps: > 1 needs training data with a known number of "
                "batches (a map-style Dataset or tensors); this DataLoader has no len()"
            ) from None

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
            "grad_norm": {
                "sum": self._norm_sum,
                "max": self._norm_max,
                "count": self._norm_count,
            },
            "skipped_steps": self._skipped,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
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
        # checkpoints hold CPU tensors (whatever device saved them): the running sums go to this
        # run's device, so a run saved on a GPU resumes on a CPU-only machine and the reverse
        on = self._on_device
        self.train_metrics.count = state["train_metrics"]["count"]
        self.train_metrics.sums = {k: on(v) for k, v in state["train_metrics"]["sums"].items()}
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        norms = state.get("grad_norm")  # absent in checkpoints from before norm logging
        if norms is not None:
            self._norm_sum, self._norm_max = on(norms["sum"]), on(norms["max"])
            self._norm_count = on(norms["count"])
        self._skipped = on(state.get("skipped_steps", 0))  # absent before skipped_steps
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.callbacks.load_state_dict(state["callbacks"])
        set_rng_state(state["rng"])
        self.stop_training = state.get("stop_training", False)
        self.stop_reason = state.get("stop_reason")

    def _on_device(self, value):
        return value.to(self.device) if isinstance(value, torch.Tensor) else value

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
        return m.compute()

    def predict(self, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """Model outputs for ``x`` in eval mode, batched, as float32 on the CPU (mixed precision
        outputs are cast back); see :func:`trainwise.models.predict.predict_outputs`."""
        return predict_outputs(self.model, x, batch_size, self.device, forward=self._forward)
