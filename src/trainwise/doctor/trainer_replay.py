"""Exact NaN diagnosis for a step the doctor read late, by replaying its window.

The doctor reads losses in batches (:mod:`~trainwise.doctor.step_reader`), so when it finds a
non-finite loss at step ``k`` the weights of that step are gone: the run went on. A
:class:`TrainerReplay` keeps what is needed to go back, for a
:class:`~trainwise.training.trainer.Trainer` run:

- at the first step of each read window (not a probed step: those are read at once), a copy of
  the parameters, buffers, optimizer state, LR-scheduler state and fp16 loss scale;
- for each micro-batch of the window, its inputs and targets (references to the tensors the
  step trained on) and the torch RNG state before it (dropout and augmentation draw from it).

When a read finds step ``k`` non-finite, :meth:`TrainerReplay.locate` saves the live state,
loads the window's start into the same model and optimizer, re-runs the trainer's own epoch
loop (``Trainer._train_epoch`` on a shallow copy with private metrics and no callbacks but
its own) over the recorded micro-batches up to step ``k``, keeps the weights before ``k``'s
update, runs :func:`~trainwise.doctor.live.nan_source.locate` there, exactly as the eager
reading did, and restores the live state bit for bit. Nothing here draws random numbers or
changes the run's results.

Memory: one copy of the parameters, buffers and optimizer state (Adam: about 3x the
parameters) plus the window's batches (at most ``read_every`` steps x ``accumulate_steps``
micro-batches) held on the device; about ``1/read_every`` of a parameter-and-state copy per
step in time. With ``training.compile`` the replay runs the plain module.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

from trainwise.callbacks.callback import Callback, CallbackList
from trainwise.doctor.live import nan_source
from trainwise.doctor.step_reader import StepEntry


class TrainerReplay:
    """Window bookkeeping and replay for one Trainer run; ``DoctorCallback`` drives it.

    Example::

        replay = TrainerReplay(trainer, doctor)
        doctor.replay = replay.locate
        # each micro-batch, at on_batch_start: replay.batch(step, xb, yb)
    """

    def __init__(self, trainer, doctor):
        self.trainer = trainer
        self.doctor = doctor
        self.start: dict[str, Any] | None = None  # the window's first step and saved state
        self.micro: list[tuple[int, torch.Tensor, Any, Any]] = []  # (step, rng, xb, yb)

    def batch(self, step: int, xb: Any, yb: Any) -> None:
        """Called before each micro-batch's forward pass: opens a window after a read (unless
        ``step`` is probed, which is read at once) and records the micro-batch."""
        doctor = self.doctor
        opening = not doctor.reader.pending and (self.start is None or self.start["step"] != step)
        if opening:
            self.start, self.micro = None, []
            if doctor.prober.armed_step == step or doctor.halted:
                return
            trainer = self.trainer
            self.start = {
                "step": step,
                "epoch": trainer.epoch,
                "batch": trainer.batches_done,
                "state": _save(trainer, grads=False),  # the window's first step zeroes them
            }
        if self.start is not None:
            self.micro.append((step, _rng(), xb, yb))

    def locate(self, entry: StepEntry) -> dict[str, Any] | None:
        """The NaN diagnosis of ``entry``'s step on its own weights (None when the window does
        not cover it, e.g. the first window after a resume was opened elsewhere)."""
        start = self.start
        if start is None or not start["step"] <= entry.step or entry.step > self.micro[-1][0]:
            return None
        trainer, doctor = self.trainer, self.doctor
        live = _save(trainer)
        live_rng = _rng()
        opt_steps, grad_vals = doctor.loop.opt_steps, dict(doctor.loop._grad_vals)
        armed = doctor.prober.armed_step
        doctor.prober.disarm()  # the replayed forward passes are not a probe
        try:
            _load(trainer, start["state"])
            return self._run(entry)
        finally:
            _load(trainer, live)
            torch.set_rng_state(live_rng[0])
            if live_rng[1] is not None:
                torch.cuda.set_rng_state_all(live_rng[1])
            doctor.loop.opt_steps, doctor.loop._grad_vals = opt_steps, grad_vals
            if armed is not None:
                doctor.prober.armed_step = None
                doctor.prober.arm(armed)

    def _run(self, entry: StepEntry) -> dict[str, Any] | None:
        """Re-run the trainer's epoch loop from the window start through ``entry``'s step."""
        trainer, start = self.trainer, self.start
        micro = [m for m in self.micro if m[0] <= entry.step]
        watch = _Watch(self.doctor, entry, micro)
        clone = copy.copy(trainer)
        clone.callbacks = CallbackList([watch])
        clone.train_metrics = copy.deepcopy(trainer.train_metrics)
        clone.compiled = None
        clone.lr_steps, clone.history = [], []
        clone.global_step, clone.start_batch = start["step"], start["batch"]
        clone.interrupted = clone.stop_training = False
        recorded = _Recorded([(xb, yb) for _, _, xb, yb in micro], trainer.train_batches)
        with torch.enable_grad():
            clone._train_epoch(recorded, start["epoch"])
        return watch.result


class _Watch(Callback):
    """The replay's only callback: restores each micro-batch's RNG state, keeps the weights
    before the failing step's update and runs the diagnosis after it (then stops)."""

    def __init__(self, doctor, entry: StepEntry, micro: list):
        self.doctor, self.entry, self.micro = doctor, entry, micro
        self.i = 0
        self.inputs: Any = None
        self.pre: dict[str, Any] | None = None
        self.result: dict[str, Any] | None = None

    def on_batch_start(self, trainer, step: int, batch: tuple) -> None:
        _set_rng(self.micro[self.i][1])
        self.i += 1
        self.inputs = batch[0]

    def on_after_backward(self, trainer, step: int, loss) -> None:
        if step == self.entry.step:
            self.pre = {"step": step, "params": nan_source.keep_pre_update(self.doctor.layout)}

    def on_batch_end(self, trainer, step: int, loss, output, target) -> None:
        if step != self.entry.step:
            return
        doc = self.doctor
        snap = self.entry.snapshot
        self.result = nan_source.locate(
            doc.model,
            doc.layout,
            doc.losses,
            snap.values if snap is not None else None,
            self.inputs,
            output,
            self.pre,
        )
        trainer.interrupt("doctor: NaN replay done")


class _Recorded:
    """The window's micro-batches, shaped like the trainer's batches (``epoch`` and ``len``:
    the epoch's real length, which gradient accumulation's last group needs)."""

    def __init__(self, batches: list, real: Any):
        self.batches, self.real = batches, real

    def epoch(self, epoch: int, start: int = 0):
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.real)


def _rng() -> tuple[torch.Tensor, Any]:
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    return torch.get_rng_state(), cuda


def _set_rng(state: tuple[torch.Tensor, Any]) -> None:
    torch.set_rng_state(state[0])
    if state[1] is not None:
        torch.cuda.set_rng_state_all(state[1])


def _save(trainer, grads: bool = True) -> dict[str, Any]:
    """Copies of everything a training step changes: weights and buffers, gradients (with
    ``grads``), module modes, optimizer state and hyper-parameters, scheduler state, the fp16
    scale (no host read)."""
    model, opt = trainer.model, trainer.optimizer
    with torch.no_grad():
        state = {
            "model": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "modes": [(m, m.training) for m in model.modules()],
            "opt": {
                p: {k: v.clone() if torch.is_tensor(v) else copy.deepcopy(v) for k, v in s.items()}
                for p, s in opt.state.items()
            },
            "groups": [
                {k: copy.deepcopy(v) for k, v in g.items() if k != "params"}
                for g in opt.param_groups
            ],  # fmt: skip
        }
        if grads:
            state["grads"] = {
                n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None
            }
    sched = getattr(trainer, "scheduler", None)
    state["sched"] = copy.deepcopy(sched.state_dict()) if sched is not None else None
    scaler = getattr(trainer, "scaler", None)
    if scaler is not None and getattr(scaler, "_scale", None) is not None:
        state["scaler"] = (scaler._scale.clone(), scaler._growth_tracker.clone())
    return state


def _load(trainer, state: dict[str, Any]) -> None:
    """Put ``state`` (from :func:`_save`) back, in place: the same tensor objects as before."""
    model, opt = trainer.model, trainer.optimizer
    with torch.no_grad():
        model.load_state_dict(state["model"])
        for m, training in state["modes"]:
            m.training = training
        grads = state.get("grads")
        for n, p in model.named_parameters() if grads is not None else ():
            p.grad = grads[n].clone() if n in grads else None
        saved = state["opt"]
        for p in [p for p in opt.state if p not in saved]:
            del opt.state[p]
        for p, s in saved.items():
            live = opt.state[p]
            for k in [k for k in live if k not in s]:
                del live[k]
            for k, v in s.items():
                cur = live.get(k)
                if torch.is_tensor(v) and torch.is_tensor(cur) and cur.shape == v.shape:
                    cur.copy_(v)
                else:
                    live[k] = v.clone() if torch.is_tensor(v) else copy.deepcopy(v)
        for g, saved_g in zip(opt.param_groups, state["groups"]):
            g.update(copy.deepcopy(saved_g))
    if state["sched"] is not None:
        trainer.scheduler.load_state_dict(copy.deepcopy(state["sched"]))
    if "scaler" in state:
        trainer.scaler._scale.copy_(state["scaler"][0])
        trainer.scaler._growth_tracker.copy_(state["scaler"][1])
