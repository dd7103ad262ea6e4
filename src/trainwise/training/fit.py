"""``tw.fit``: a Keras-like fit for any torch model.

Both entry points meet here: the Python API passes names and numbers, ``trainwise run``
passes the sections of a validated config. Names become pydantic sections first, so a bad
value gets the same message (``optimizer.lr: -0.1 is not allowed: ...``) either way.
"""

from __future__ import annotations

import json
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
from trainwise.training.inputs import (
    as_batches,
    check_fit_options,
    first_batch,
    is_xy,
    split_last,
)
from trainwise.training.model_io import save_weights
from trainwise.training.preflight import check_class_weight, check_targets_fit_output
from trainwise.training.run_dir import make_run_dir
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
    precision: str = "fp32",
    accumulate_steps: int = 1,
    doctor: bool | dict = True,
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
            ``train_data``, unshuffled, as Keras does: a number in (0, 1); None (the
            default) for no split (0 is refused rather than guessed at).
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
        grad_clip_norm / grad_clip_value: gradient clipping (default off); with norm
            clipping the pre-clip norm is logged as ``grad_norm`` / ``grad_norm_max``.
        precision: "fp32" (default), "bf16" (autocast; the CPU choice), "fp16" (autocast plus
            loss scaling; the CUDA choice) or "auto" (bf16/fp16 on CUDA, fp32 on CPU).
        accumulate_steps: batches whose gradients are summed before each optimizer step
            (default 1); the effective batch is ``batch_size * accumulate_steps``, which is also
            what linear LR scaling and the schedule's steps per epoch use.
        doctor: the training doctor (default True): preflight checks of the data, probes
            during training and curve rules per epoch; findings are printed as they appear
            (when ``verbose``), listed in ``result.findings`` and, with ``out_dir``, written
            to ``findings.json``. A dict passes options (``{"probe_every": 50}``); False
            turns it off. It never changes the run's results (hooks only read).
        seed: seeds Python, NumPy and torch before training (None leaves them alone).
        device: "cpu" (default), "cuda", "cuda:N", "mps", or "auto"; one this machine lacks
            is refused up front.
        verbose: "auto" (bar on a terminal, lines otherwise), "bar", "lines", False; Keras'
            0, 1, 2 mean False, True, "lines".
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
    if not isinstance(model, nn.Module):
        raise ArgumentTypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    for name, value, low in (
        ("epochs", epochs, 1),
        ("batch_size", batch_size, 1),
        ("accumulate_steps", accumulate_steps, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{name}: {value!r} is not allowed; must be an integer >= {low}")
    # every scalar option is checked before any work, so a typo never costs a training run
    opts = check_fit_options(
        {
            "validation_split": validation_split,
            "seed": seed,
            "device": device,
            "verbose": verbose,
            "grad_clip_norm": grad_clip_norm,
            "grad_clip_value": grad_clip_value,
            "checkpoint_every_epochs": checkpoint_every_epochs,
            "checkpoint_every_steps": checkpoint_every_steps,
            "keep_checkpoints": keep_checkpoints,
        }
    )
    validation_split, verbose = opts["validation_split"], opts["verbose"]
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
    n_out = check_targets_fit_output(model, train, task, device, name="train_data")
    for extra, nm in ((val, "val_data"), (test, "test_data")):
        if extra is not None:
            check_targets_fit_output(model, extra, task, device, name=nm)
    if class_weight is not None:  # after the checks: its length must match the model's outputs
        _set_class_weight(loss_fn, check_class_weight(class_weight, n_out), device)

    model.to(device)
    if isinstance(optimizer, torch.optim.Optimizer):
        opt = optimizer
        if lr is not None:
            for g in opt.param_groups:
                g["lr"] = lr
    else:
        opt_cfg = _section(optimizer, OptimizerConfig, "optimizer", lr=lr)
        opt = build_optimizer(opt_cfg, model, batch_size=batch_size * accumulate_steps)
    sched_cfg = _section(schedule, ScheduleConfig, "schedule")
    steps_per_epoch = -(-len(train) // accumulate_steps)  # optimizer steps, rounded up
    scheduler = build_scheduler(sched_cfg, opt, steps_per_epoch=steps_per_epoch, epochs=epochs)
    reg_cfg = _section(regularization, RegularizationConfig, "regularization")
    penalty = WeightPenalty(reg_cfg, model)

    cbs: list[Callback] = list(callbacks or [])
    # created and probed for writing now, so an unwritable out_dir is a ConfigError up front
    run_dir = (
        make_run_dir(Path(out_dir).parent, Path(out_dir).name) if out_dir is not None else None
    )
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
    doc = None
    if doctor is not False and doctor is not None:
        from trainwise.doctor.attach import attach_doctor, regularization_of

        doc, doc_cb = attach_doctor(
            doctor,
            model,
            opt,
            loss_fn,
            task,
            train,
            val,
            test,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            regularization=regularization_of(
                model, opt, reg_cfg, loss_cfg if loss_name is not None else None
            ),
            echo=echo if verbose else None,
        )
        cbs.append(doc_cb)

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
        precision=precision,
        accumulate_steps=accumulate_steps,
        run_dir=run_dir,
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
        # the LR of every optimizer step (index = step); one small write at the end
        (run_dir / "lr_steps.json").write_text(json.dumps(trainer.lr_steps))
    if trainer.stop_reason and verbose:
        print(trainer.stop_reason)
    findings = []
    if doc is not None:
        if test_metrics:
            doc.check_test(test_metrics)
        findings = doc.findings
        if run_dir is not None:
            (run_dir / "findings.json").write_text(
                json.dumps([f.to_dict() for f in findings], indent=1)
            )
            # the probe history, one JSON line per probed step (report's gradient-flow plots)
            (run_dir / "probes.jsonl").write_text(
                "".join(json.dumps(r) + "\n" for r in doc.probe_log)
            )
        if verbose and done:
            from trainwise.doctor.attach import summary_lines

            for line in summary_lines(findings):
                echo(line)
    return FitResult(
        interrupted=trainer.interrupted,
        model=model,
        history=history,
        findings=findings,
        doctor=doc,
        test_metrics=test_metrics,
        lr_steps=trainer.lr_steps,
        stop_reason=trainer.stop_reason,
        run_dir=run_dir,
        wall_time=wall,
    )


def _resume(trainer: Trainer, checkpointer: Checkpointer, echo) -> None:
    found = checkpointer.manager.latest_good()
    if found is None:
        bad = [p.name for p in checkpointer.manager.checkpoints()]
        if bad:
            # Starting over silently would throw away the work those checkpoints stood for,
            # and a corrupted disk is worth a look; the user decides.
            raise CheckpointError(
                f"resume: found no good checkpoint in {str(checkpointer.manager.root)!r}; "
                f"{', '.join(bad)} failed verification (see above). Allowed: a checkpoint whose "
                "manifest matches its files; restore one, or delete that folder to start over"
            )
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
