"""The step/epoch loop of :class:`~trainwise.training.trainer.Trainer` (a mixin; the class doc
says what a step is and how gradient accumulation counts): one epoch of optimizer steps with
its callback events, and the epoch's logs read from the running sums in one host transfer.

Split from ``trainer.py`` so each file stays one concept: the Trainer's set-up and public
methods there, the hot loop here, exact-resume state in :mod:`~trainwise.training.trainer_state`.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch

from trainwise.errors import ConfigError


class EpochLoop:
    """The training loop's epoch; mixed into :class:`~trainwise.training.trainer.Trainer`,
    whose ``__init__`` sets every attribute used here.

    Example::

        trainer = Trainer(model, opt, loss_fn)  # Trainer(EpochLoop, TrainerState)
        logs = trainer._train_epoch(batches, epoch=0)
    """

    def _train_epoch(self, train, epoch: int) -> dict[str, float]:
        model, opt, loss_fn = self.model, self.optimizer, self.loss_fn
        compiled, net = self.compiled, model  # net: the module this step's forward runs
        fire, listeners = self.callbacks.fire, self.callbacks.listeners
        has_batch_start = bool(listeners["on_batch_start"])
        has_batch_end = bool(listeners["on_batch_end"])
        augment, penalty = self.augment, self.penalty
        device, on_cpu = self.device, self.device.type == "cpu"
        metrics = self.train_metrics
        amp, scaler = self.precision, self.scaler
        # data-parallel: this rank's share of each global batch weights its loss, and the
        # penalty is added once over the ranks (see trainwise.training.distributed)
        shares = train.shares if self.dist is not None else None
        inv_world = 1.0 / self.dist.world_size if self.dist is not None else 1.0
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
            if shares is None:
                total = loss + penalty() if penalty is not None else loss
            else:
                total = loss * shares[i]
                if penalty is not None:
                    total = total + penalty() * inv_world
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
            if shares is None or shares[i - 1]:  # an empty slice adds no samples
                metrics.update(loss, out, yb)
            if not at_step:
                continue
            self._optimizer_step(step, step_loss)
            if has_batch_end:
                fire("on_batch_end", self, step, step_loss, out, yb)
            if self.interrupted:
                break
        return self._epoch_logs(self.grad_clip_norm is not None)

    def _optimizer_step(self, step: int, step_loss: torch.Tensor) -> None:
        """The end of an optimizer step: (all-reduce,) unscale, clip, step, schedule."""
        model, opt, scaler = self.model, self.optimizer, self.scaler
        listeners, fire = self.callbacks.listeners, self.callbacks.fire
        clip_norm, clip_value = self.grad_clip_norm, self.grad_clip_value
        if self.dist is not None:
            self._reduce_gradients()
        if scaler is not None:
            scaler.unscale_(opt)  # callbacks and clipping see the true gradients
        if listeners["on_after_backward"]:
            fire("on_after_backward", self, step, step_loss)
        if clip_value is not None:
            torch.nn.utils.clip_grad_value_(model.parameters(), clip_value)
        if clip_norm is not None:
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            self.last_grad_norm = norm
            self._track_norm(norm)
        if listeners["on_before_optimizer_step"]:
            fire("on_before_optimizer_step", self, step)
        self.lr_steps.append(opt.param_groups[0]["lr"])
        if scaler is not None:
            scaler.step(opt)  # skipped when the gradients overflowed
            self._count_skipped(scaler)
            scaler.update()
        else:
            opt.step()
        if self.scheduler is not None:
            self._step_scheduler(self.scheduler)
        self.global_step = step + 1

    def _reduce_gradients(self) -> None:
        """Sum the gradients over the ranks; a signal any rank received rides along, so every
        rank sees it at this same step (``dist.agreed_signal``, read by the checkpointer)."""
        dist = self.dist
        params = [p for p in self.model.parameters() if p.requires_grad]
        (signal,) = dist.reduce_gradients(params, [float(dist.local_signal > 0)])
        if signal and not dist.agreed_signal:
            dist.agreed_signal = dist.local_signal or 15  # SIGTERM when another rank got it

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
        metrics = self.train_metrics  # summed over the ranks when data-parallel
        if self.dist is not None:
            metrics = self.dist.reduced_metrics(metrics)
        logs, extra = metrics.compute_with(extra)
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
