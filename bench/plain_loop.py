"""Plain-loop mode of the seeded-fault suite: every scenario driven from a hand-written PyTorch
loop through the doctor's documented API only, instead of ``tw.fit``.

The documented short form is what a new user writes::

    doctor = Doctor(model, optimizer)
    doctor.check_data(x_train, y_train, x_val=..., y_val=..., x_test=..., y_test=..., task=...)
    ...  optimizer.step(); doctor.step(loss, inputs=xb, targets=yb)
    doctor.epoch_end(logs)
    doctor.check_test(test_logs)

so the doctor gets no ``loss_fn``, no ``outputs``, no ``total_steps`` and no regularization
settings: whatever it needs beyond that it must find itself.

- Config scenarios: the config's data (``load_data``, faults included), model, loss, optimizer,
  schedule, L1/L2 penalty and gradient clipping are built with trainwise's builders, then looped
  by hand (zero_grad, forward, loss, backward, clip, step, scheduler step, ``doctor.step``).
- Loop scenarios (``bench/doctor_loops.py``): the same loops, with their ``Doctor`` replaced by
  :class:`DocumentedDoctor`, which drops the optional arguments those loops pass
  (``task``, ``loss_fn``, ``total_steps`` to the constructor, ``outputs`` to ``step``).

As in the hand-written loops, a preflight error (the doctor says the data cannot be trained on)
ends the run before training: a user who reads it stops there.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from baselines.autotrainer import AutoTrainer
from baselines.deepdiagnosis import DeepDiagnosis
from doctor_loops import LoopRun
from trainwise.data.load import load_data
from trainwise.doctor import Doctor
from trainwise.losses.build import build_loss
from trainwise.models.build import build_model
from trainwise.optim.build import build_optimizer
from trainwise.optim.regularization import WeightPenalty
from trainwise.schedules.build import build_scheduler
from trainwise.training.seeding import seed_everything

try:  # the root config schema moves to the run layer (house issue); either place works
    from trainwise.run.schema import Config
except ImportError:  # pragma: no cover - before the move
    from trainwise.config.schema import Config


class DocumentedDoctor(Doctor):
    """``Doctor`` as the documented short form uses it: ``Doctor(model, optimizer)`` and
    ``step(loss, inputs=, targets=)``; the optional extras a caller passes are dropped."""

    def __init__(self, model, optimizer=None, **_optional):
        super().__init__(model, optimizer)

    def step(self, loss, inputs=None, targets=None, outputs=None):
        return super().step(loss, inputs=inputs, targets=targets)


def run_plain(scn, seed: int) -> LoopRun:
    """One scenario run from a plain loop (see the module docstring)."""
    if scn.loop is not None:
        return _documented_loop(scn, seed)
    return run_config_by_hand(scn.config, seed)


def _documented_loop(scn, seed: int) -> LoopRun:
    import doctor_loops

    kwargs = dict(scn.loop_args)
    if scn.onset:
        kwargs["onset"] = scn.onset
    original = doctor_loops.Doctor
    doctor_loops.Doctor = DocumentedDoctor
    try:
        return doctor_loops.LOOPS[scn.loop](seed, **kwargs)
    finally:
        doctor_loops.Doctor = original


def run_config_by_hand(config: dict, seed: int) -> LoopRun:
    """A config scenario: built with trainwise's builders, trained by a hand-written loop."""
    cfg = Config.model_validate({**config, "seed": seed, "doctor": False})
    seed_everything(seed)
    b = load_data(cfg.data, seed=seed)
    model = build_model(cfg.model, b.input_shape, b.output_dim)
    bs, epochs = cfg.training.batch_size, cfg.training.epochs
    loss_fn = build_loss(cfg.loss)
    if b.class_weights is not None and isinstance(loss_fn, nn.CrossEntropyLoss):
        loss_fn.weight = torch.as_tensor(b.class_weights, dtype=torch.float32)
    opt = build_optimizer(cfg.optimizer, model, batch_size=bs)
    spe = math.ceil(len(b.x_train) / bs)
    sched = build_scheduler(cfg.schedule, opt, steps_per_epoch=spe, epochs=epochs)
    penalty = WeightPenalty(cfg.regularization, model)
    penalty = penalty if getattr(penalty, "active", True) else None
    clip = cfg.training.grad_clip_norm
    shuffle = cfg.data.shuffle and not cfg.data.faults.sort_by_label
    total = spe * epochs

    doctor = Doctor(model, opt)
    detected: dict = {}
    step = 0

    def note():
        for f in doctor.findings:
            detected.setdefault(f.key, step)

    doctor.check_data(
        b.x_train,
        b.y_train,
        x_val=b.x_val,
        y_val=b.y_val,
        x_test=b.x_test,
        y_test=b.y_test,
        task=b.task,
    )
    note()
    if any(f.severity == "error" for f in doctor.findings):
        return LoopRun(doctor.findings, detected, total, steps_per_epoch=spe)
    tools = (AutoTrainer(epochs), DeepDiagnosis(epochs))
    g = torch.Generator().manual_seed(seed)
    val_loss: list = []
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(b.x_train), generator=g) if shuffle else None
        tot, correct, n = 0.0, 0, 0
        for i in range(0, len(b.x_train), bs):
            idx = order[i : i + bs] if order is not None else slice(i, i + bs)
            xb, yb = b.x_train[idx], b.y_train[idx]
            opt.zero_grad()
            out = model(xb)
            loss = loss_fn(_shaped(out, yb), yb)
            (loss + penalty() if penalty is not None else loss).backward()
            if clip:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            sched.step()
            doctor.step(loss, inputs=xb, targets=yb)
            step += 1
            note()
            tot += loss.item() * len(yb)
            n += len(yb)
            correct += _correct(out, yb, b.task)
        logs = {"loss": tot / n}
        if b.task != "regression":
            logs["accuracy"] = correct / n
        if b.x_val is not None:
            logs.update(
                {
                    f"val_{k}": v
                    for k, v in _evaluate(model, loss_fn, b.x_val, b.y_val, b.task).items()
                }
            )
            val_loss.append(logs["val_loss"])
        doctor.epoch_end(logs)
        note()
        for tool in tools:
            tool.epoch_end(epoch, logs, model, loss_fn, b.x_train[:bs], b.y_train[:bs])
    if b.x_test is not None:
        test = _evaluate(model, loss_fn, b.x_test, b.y_test, b.task)
        doctor.check_test({f"test_{k}": v for k, v in test.items()})
        note()
    findings = doctor.findings
    doctor.close()
    return LoopRun(
        findings,
        detected,
        total,
        {"autotrainer": tools[0].detections, "deepdiagnosis": tools[1].detections},
        spe,
        val_loss,
    )


def _shaped(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(N, 1) outputs against (N,) targets: what a careful loop squeezes before the loss."""
    if y.is_floating_point() and out.shape != y.shape and out.numel() == y.numel():
        return out.reshape(y.shape)
    return out


def _correct(out: torch.Tensor, y: torch.Tensor, task: str) -> int:
    with torch.no_grad():
        if task == "regression":
            return 0
        if out.dim() == 2 and out.shape[1] > 1:
            return int((out.argmax(1) == y).sum())
        return int(((out.reshape(-1) > 0).float() == y.reshape(-1).float()).sum())


@torch.no_grad()
def _evaluate(model, loss_fn, x, y, task) -> dict:
    model.eval()
    out = model(x)
    model.train()
    logs = {"loss": float(loss_fn(_shaped(out, y), y))}
    if task != "regression":
        logs["accuracy"] = _correct(out, y, task) / len(y)
    return logs
