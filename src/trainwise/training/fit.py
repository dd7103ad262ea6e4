"""``tw.fit``: a Keras-like fit for any torch model.

Both entry points meet here: the Python API passes names and numbers, ``trainwise run``
passes the sections of a validated config. Names become pydantic sections first, so a bad
value gets the same message (``optimizer.lr: -0.1 is not allowed: ...``) either way.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from trainwise.callbacks.callback import Callback
from trainwise.callbacks.metrics_log import MetricsLog
from trainwise.callbacks.progress import Progress
from trainwise.checkpoint.checkpointer import Checkpointer
from trainwise.checkpoint.manager import CheckpointManager
from trainwise.config.validate import make_section
from trainwise.errors import (
    ArgumentTypeError,
    CheckpointError,
    ConfigError,
    DataError,
    NotAvailableError,
)
from trainwise.losses.build import build_loss, loss_input, loss_task
from trainwise.losses.config import LossConfig
from trainwise.losses.target_adapter import TargetAdapter
from trainwise.optim.build import build_optimizer
from trainwise.optim.config import OptimizerConfig
from trainwise.optim.regularization import RegularizationConfig, WeightPenalty
from trainwise.schedules.build import build_scheduler
from trainwise.schedules.config import ScheduleConfig
from trainwise.training.fit_result import FitResult
from trainwise.training.inputs import as_batches, first_batch, is_xy, split_last
from trainwise.training.model_io import save_weights
from trainwise.training.preflight import check_targets_fit_output
from trainwise.training.seeding import seed_everything
from trainwise.training.trainer import Trainer


def _section(value, cls, prefix: str, name_field: str = "name", **extra):
    """str | dict | section | None -> section instance."""
    if isinstance(value, cls):
        return value
    if value is None:
        data: dict[str, Any] = {}
    elif isinstance(value, str):
        data = {name_field: value}
    elif isinstance(value, dict):
        data = dict(value)
    else:
        raise ArgumentTypeError(
            f"{prefix}: expected a name, a dict or {cls.__name__}; got {type(value).__name__}"
        )
    data.update({k: v for k, v in extra.items() if v is not None})
    return make_section(cls, data, prefix)


def fit(
    model: nn.Module,
    train_data,
    val_data=None,
    *,
    validation_split: float | None = None,
    test_data=None,
    loss: str | dict | LossConfig | nn.Module = "cross_entropy",
    optimizer: str | dict | OptimizerConfig | torch.optim.Optimizer = "adam",
    lr: float | None = None,
    epochs: int = 30,
    batch_size: int = 64,
    schedule: str | dict | ScheduleConfig | None = None,
    regularization: dict | RegularizationConfig | None = None,
    callbacks: list[Callback] | None = None,
    metrics: list[str] | None = None,
    task: str | None = None,
    shuffle: bool = True,
    augment=None,
    sampler=None,
    class_weight=None,
    grad_clip_norm: float | None = None,
    grad_clip_value: float | None = None,
    doctor: bool = False,
    seed: int | None = 0,
    device: str = "cpu",
    verbose: str | bool = "auto",
    out_dir: str | Path | None = None,
    resume: bool = False,
    checkpoint_every_epochs: int | None = 1,
    checkpoint_every_steps: int | None = None,
    keep_checkpoints: int = 3,
    run_meta: dict[str, Any] | None = None,
    resume_hint: str | None = None,
    echo=print,
) -> FitResult:
    """Train ``model`` on ``train_data`` and return a :class:`FitResult`.

    Args:
        model: any ``torch.nn.Module``.
        train_data: an ``(x, y)`` pair of tensors or arrays, a ``Dataset`` or a ``DataLoader``.
        val_data: validation data in the same forms (default None).
        validation_split: instead of ``val_data``, hold out the last fraction of
            ``train_data``, unshuffled, as Keras does (default None).
        test_data: evaluated once after training into ``result.test_metrics``.
        loss: a name ("cross_entropy", "mse", Keras spellings such as
            "sparse_categorical_crossentropy"), a dict of LossConfig fields, or a module.
        optimizer: a name ("adam", "sgd", "momentum", "nesterov", "rmsprop", "adagrad",
            "adamw"), a dict of OptimizerConfig fields, or a built optimizer.
        lr: learning rate (default: the optimizer's default, 1e-3 for adam).
        epochs: number of epochs (default 30). batch_size: default 64.
        schedule: LR schedule name or dict (default constant).
        regularization: dict with l1 / l2 / layers (default none).
        callbacks: e.g. ``[tw.callbacks.EarlyStopping(patience=5)]``.
        metrics: default accuracy (classification) or mse and mae (regression).
        task: "classification", "binary" or "regression" (default: from the loss).
        shuffle: reshuffle training data each epoch (default True).
        augment: callable applied to each training input batch (default None).
        sampler: object with ``epoch_indices(epoch)`` and ``len()`` choosing each epoch's samples
            (e.g. a balanced sampler); replaces shuffling.
        class_weight: per-class loss weights (tensor or list) for cross-entropy losses.
        grad_clip_norm / grad_clip_value: gradient clipping (default off).
        doctor: the training doctor (not available in this version: True raises).
        seed: seeds Python, NumPy and torch before training (None leaves them alone).
        device: "cpu" (default), "cuda", or "auto".
        verbose: "auto" (bar on a terminal, lines otherwise), "bar", "lines", False.
        out_dir: if given, writes metrics.jsonl, model.safetensors and checkpoints there.
        resume: continue from the newest good checkpoint in ``out_dir/checkpoints``
            (model, optimizer, schedule, callbacks, RNG states and the position in the data
            order), so the result is bitwise what an uninterrupted run gives on CPU.
        checkpoint_every_epochs: with ``out_dir``, save a checkpoint every N epochs (default 1;
            None turns checkpoints off). checkpoint_every_steps: also every N steps.
        keep_checkpoints: how many recent checkpoints to keep (default 3).
        run_meta: JSON-able data stored in each checkpoint (``trainwise run`` stores the
            config there to show drift on resume).

    Example::

        import torch, trainwise as tw
        x, y = torch.randn(256, 4), torch.randint(0, 2, (256,))
        model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
        result = tw.fit(model, (x, y), validation_split=0.2, epochs=3, verbose=False)
        result.history[-1]["val_accuracy"]
    """
    if doctor:
        raise NotAvailableError(
            "doctor=True: the training doctor is not available in this version of trainwise yet; "
            "use doctor=False (the default)"
        )
    if not isinstance(model, nn.Module):
        raise ArgumentTypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    for name, value, low in (("epochs", epochs, 1), ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{name}: {value!r} is not allowed; must be an integer >= {low}")
    if val_data is not None and validation_split:
        raise ConfigError("give either val_data or validation_split, not both")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if seed is not None:
        seed_everything(seed)

    if validation_split:
        train_data, val_data = split_last(train_data, validation_split)

    # loss and task
    if isinstance(loss, nn.Module) or (
        callable(loss) and not isinstance(loss, (str, dict, LossConfig))
    ):
        loss_fn, loss_name = loss, None
    else:
        loss_cfg = _section(loss, LossConfig, "loss")
        loss_fn, loss_name = build_loss(loss_cfg), loss_cfg.name
        if loss_task(loss_name) != "classification":
            loss_fn = TargetAdapter(loss_fn)
    if class_weight is not None:
        _set_class_weight(loss_fn, class_weight, device)
    if task is None:
        task = loss_task(loss_name) if loss_name else _task_from_targets(train_data)
    from_logits = (
        loss_name is None or loss_input(loss_name, loss_cfg.from_logits) != "probabilities"
    )

    train = as_batches(train_data, "train_data", batch_size, shuffle, seed or 0, sampler)
    val = (
        as_batches(val_data, "val_data", max(batch_size, 256), False, 0)
        if val_data is not None
        else None
    )
    test = (
        as_batches(test_data, "test_data", max(batch_size, 256), False, 0)
        if test_data is not None
        else None
    )
    check_targets_fit_output(model, train, task, device, name="train_data")
    for extra, nm in ((val, "val_data"), (test, "test_data")):
        if extra is not None:
            check_targets_fit_output(model, extra, task, device, name=nm)

    model.to(device)
    if isinstance(optimizer, torch.optim.Optimizer):
        opt = optimizer
        if lr is not None:
            for g in opt.param_groups:
                g["lr"] = lr
    else:
        opt_cfg = _section(optimizer, OptimizerConfig, "optimizer", lr=lr)
        opt = build_optimizer(opt_cfg, model, batch_size=batch_size)
    sched_cfg = _section(schedule, ScheduleConfig, "schedule")
    scheduler = build_scheduler(sched_cfg, opt, steps_per_epoch=len(train), epochs=epochs)
    reg_cfg = _section(regularization, RegularizationConfig, "regularization")
    penalty = WeightPenalty(reg_cfg, model)

    cbs: list[Callback] = list(callbacks or [])
    run_dir = Path(out_dir) if out_dir is not None else None
    checkpointer = None
    if resume and run_dir is None:
        raise ConfigError("resume=True needs out_dir= (the run directory holding the checkpoints)")
    if run_dir is not None:
        cbs.append(MetricsLog(run_dir / "metrics.jsonl"))
        if checkpoint_every_epochs or checkpoint_every_steps or resume:
            checkpointer = Checkpointer(
                CheckpointManager(run_dir / "checkpoints", keep=keep_checkpoints, echo=echo),
                every_steps=checkpoint_every_steps,
                every_epochs=checkpoint_every_epochs,
                meta=run_meta,
                resume_hint=resume_hint or f"tw.fit(..., out_dir={str(run_dir)!r}, resume=True)",
                echo=echo,
            )
            cbs.append(checkpointer)
    if verbose:
        cbs.append(Progress("auto" if verbose is True else verbose))

    trainer = Trainer(
        model,
        opt,
        loss_fn,
        task,
        scheduler=scheduler,
        penalty=penalty,
        augment=augment,
        callbacks=cbs,
        device=device,
        grad_clip_norm=grad_clip_norm,
        grad_clip_value=grad_clip_value,
        from_logits=from_logits,
        metrics=metrics,
    )
    if resume:
        _resume(trainer, checkpointer, echo)
    t0 = time.perf_counter()
    history = trainer.fit(train, val, epochs=epochs)
    wall = time.perf_counter() - t0
    done = not trainer.interrupted  # an interrupted run has a checkpoint, not final weights
    test_metrics = (
        {f"test_{k}": v for k, v in trainer.evaluate(test).items()}
        if test is not None and done
        else {}
    )
    if run_dir is not None and done:
        save_weights(model, run_dir / "model.safetensors")
    if trainer.stop_reason and verbose:
        print(trainer.stop_reason)
    return FitResult(
        interrupted=trainer.interrupted,
        model=model,
        history=history,
        test_metrics=test_metrics,
        lr_steps=trainer.lr_steps,
        stop_reason=trainer.stop_reason,
        run_dir=run_dir,
        wall_time=wall,
    )


def _resume(trainer: Trainer, checkpointer: Checkpointer, echo) -> None:
    found = checkpointer.manager.latest_good()
    if found is None:
        echo(f"no checkpoint in {checkpointer.manager.root}; starting from the beginning")
        return
    path, model_state, state = found
    try:
        trainer.model.load_state_dict(model_state)
    except RuntimeError as exc:
        raise CheckpointError(
            f"checkpoint {str(path)!r} does not fit the model (different architecture?): {exc}"
        ) from None
    trainer.load_state_dict(state["trainer"])
    echo(
        f"resuming from {path.name}: epoch {trainer.epoch + 1}, batch {trainer.start_batch}, "
        f"step {trainer.global_step}"
    )


def _set_class_weight(loss_fn: nn.Module, class_weight, device) -> None:
    """Set the per-class weight of the cross-entropy inside any wrappers (flooding, ...)."""
    inner = loss_fn
    while not isinstance(inner, nn.CrossEntropyLoss) and isinstance(
        getattr(inner, "loss", None), nn.Module
    ):
        inner = inner.loss
    if not isinstance(inner, nn.CrossEntropyLoss):
        raise ConfigError(
            "class_weight: applies to cross-entropy losses only; for other losses use "
            "data.balanced_sampler"
        )
    inner.weight = torch.as_tensor(class_weight, dtype=torch.float32, device=device)


def _task_from_targets(data) -> str:
    """Integer targets -> classification, float -> regression (for custom loss modules)."""
    if is_xy(data):
        y = data[1]
        kind = getattr(y, "dtype", None)
        is_int = (hasattr(kind, "is_floating_point") and not kind.is_floating_point) or str(
            kind
        ).startswith(("int", "torch.int", "uint"))
        return "classification" if is_int else "regression"
    try:
        _, yb = first_batch(as_batches(data, "train_data", 2, False, 0))
    except StopIteration:
        raise DataError("train_data: the dataset is empty") from None
    return "regression" if yb.is_floating_point() else "classification"
