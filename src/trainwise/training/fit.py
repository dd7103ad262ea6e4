"""``tw.fit``: a Keras-like fit for any torch model.

Both entry points meet here: the Python API passes names and numbers, ``trainwise run``
passes the sections of a validated config. Every value is checked once, by the section YAML
uses (:mod:`trainwise.training.fit_options`), so a bad value gets the same message
(``optimizer.lr: -0.1 is not allowed: ...``) either way. The recipe: check the options ->
build the run's parts (:mod:`~trainwise.training.fit_parts`) -> add fit's callbacks
(:mod:`~trainwise.training.fit_callbacks`) -> ``Trainer.fit`` -> write the run's files.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from trainwise.callbacks.callback import Callback
from trainwise.doctor.attach import summary_lines
from trainwise.losses.config import LossConfig
from trainwise.optim.config import OptimizerConfig
from trainwise.optim.regularization import RegularizationConfig
from trainwise.schedules.config import ScheduleConfig
from trainwise.training.distributed import Distributed
from trainwise.training.fit_callbacks import fit_callbacks, resume_trainer, write_fit_files
from trainwise.training.fit_options import check_fit_options
from trainwise.training.fit_parts import build_fit_parts
from trainwise.training.fit_result import FitResult
from trainwise.training.run_dir import make_run_dir
from trainwise.training.seeding import seed_everything
from trainwise.training.sharded_batches import shard_parts
from trainwise.training.trainer import Trainer


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
    tf32: bool | None = None,
    compile: bool = False,
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
    allow_world_size_change: bool = False,
) -> FitResult:
    """Train ``model`` on ``train_data`` and return a :class:`FitResult`.

    Args:
        model: any ``torch.nn.Module``.
        train_data: an ``(x, y)`` pair of tensors or arrays, a ``Dataset`` or a ``DataLoader``.
        val_data: validation data in the same forms (default None).
        validation_split: instead of ``val_data``, hold out the last fraction of
            ``train_data``, unshuffled, as Keras does: a number in (0, 1); None or 0 (the
            default None) for no split, as ``data.validation_split`` in YAML.
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
        tf32: allow (True) or forbid (False) TF32 tensor cores for float32 matmuls and
            convolutions on CUDA during the fit; None (default) leaves torch's setting.
        compile: ``torch.compile`` the model for training and evaluation (default False).
            The doctor's probe steps run the plain module (their forward hooks would not fire
            inside a compiled graph); a verbose run says how many steps that was.
        doctor: the training doctor (default True): preflight checks of the data, probes
            during training and curve rules per epoch; findings are printed as they appear
            (when ``verbose``), listed in ``result.findings`` and, with ``out_dir``, written
            to ``findings.json``. A dict passes options (``{"probe_every": 50}``,
            ``{"read_every": 32}``: steps between the doctor's batched host reads of the
            losses, so an ordinary step never waits for the GPU; a finding can appear up to
            that many steps after its step; 1 reads every step); False turns it off. It
            never changes the run's results (hooks only read).
        seed: seeds Python, NumPy and torch before training (None leaves them alone).
        device: "cpu" (default), "cuda", "cuda:N", "mps", or "auto" (CUDA when torch sees a
            GPU, else CPU); one this machine lacks is refused up front. On CUDA, batches of
            in-memory data are gathered into pinned memory and copied asynchronously.
        verbose: "auto" (bar on a terminal, lines otherwise), "bar", "lines", False; Keras'
            0, 1, 2 mean False, True, "lines" (YAML's ``training.progress``).
        out_dir: if given, writes metrics.jsonl, model.safetensors and checkpoints there.
        resume: continue from the newest good checkpoint in ``out_dir/checkpoints``
            (model, optimizer, schedule, callbacks, RNG states and the position in the data
            order), so the result is bitwise what an uninterrupted run gives on CPU.
        checkpoint_every_epochs: with ``out_dir``, save a checkpoint every N epochs (default 1;
            None turns checkpoints off). checkpoint_every_steps: also every N steps.
        keep_checkpoints: how many recent checkpoints to keep (default 3).
        run_meta: JSON-able data stored in each checkpoint (``trainwise run`` stores the
            config there to show drift on resume).
        allow_world_size_change: resume a checkpoint saved by another number of processes
            (default False: refused, as the continued run would not be exact).

    Under ``torchrun`` (``WORLD_SIZE`` > 1) the fit is data-parallel
    (docs/distributed.md): ``batch_size`` is the global batch, each rank trains on its slice
    and gradients are summed over the ranks; every rank gets the same history, and only
    rank 0 writes files, shows progress and runs the doctor.

    Example::

        import torch, trainwise as tw
        x, y = torch.randn(256, 4), torch.randint(0, 2, (256,))
        model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
        result = tw.fit(model, (x, y), validation_split=0.2, epochs=3, verbose=False)
        result.history[-1]["val_accuracy"]
    """
    dist = Distributed.from_env(device)  # None for one process: the plain path below
    if dist is not None:
        device = str(dist.device)
        if not dist.is_main:  # progress, messages and the doctor once, on rank 0
            verbose, doctor, echo = False, False, _silent
    opts = check_fit_options(
        model, val_data=val_data, out_dir=out_dir, resume=resume, seed=seed, shuffle=shuffle,
        validation_split=validation_split, loss=loss, optimizer=optimizer, lr=lr,
        regularization=regularization, schedule=schedule, epochs=epochs, batch_size=batch_size,
        grad_clip_norm=grad_clip_norm, grad_clip_value=grad_clip_value, precision=precision,
        accumulate_steps=accumulate_steps, device=device, tf32=tf32, compile=compile,
        verbose=verbose,
        checkpoint_every_epochs=checkpoint_every_epochs,
        checkpoint_every_steps=checkpoint_every_steps, keep_checkpoints=keep_checkpoints,
    )  # fmt: skip
    if opts.seed is not None:
        seed_everything(opts.seed)
    parts = build_fit_parts(
        model, opts, train_data, val_data, test_data, loss=loss, optimizer=optimizer,
        task=task, sampler=sampler, class_weight=class_weight,
    )  # fmt: skip
    # created and probed for writing now, so an unwritable out_dir is a ConfigError up front
    out = Path(out_dir) if out_dir is not None else None
    if dist is not None and not dist.is_main:
        run_dir = out  # rank 0 alone writes there
    else:
        run_dir = make_run_dir(out.parent, out.name) if out is not None else None
    cbs, checkpointer, doc = fit_callbacks(
        callbacks, model, opts, parts, run_dir, doctor=doctor, run_meta=run_meta,
        resume=resume, resume_hint=resume_hint, echo=echo, dist=dist,
    )  # fmt: skip
    if dist is not None:  # after the doctor's preflight, which checks all the data
        parts = shard_parts(parts, dist)
    train = opts.training
    trainer = Trainer(
        model, parts.optimizer, parts.loss_fn, parts.task, scheduler=parts.scheduler,
        penalty=parts.penalty, augment=augment, callbacks=cbs, device=opts.device,
        grad_clip_norm=train.grad_clip_norm, grad_clip_value=train.grad_clip_value,
        precision=train.precision, accumulate_steps=train.accumulate_steps, run_dir=run_dir,
        from_logits=parts.from_logits, metrics=metrics, tf32=train.tf32, compile=train.compile,
        dist=dist, allow_world_size_change=allow_world_size_change,
    )  # fmt: skip
    if resume:
        resume_trainer(trainer, checkpointer, echo)
    t0 = time.perf_counter()
    history = trainer.fit(parts.train, parts.val, epochs=train.epochs)
    wall = time.perf_counter() - t0
    done = not trainer.interrupted  # an interrupted run has a checkpoint, not final weights
    test_metrics = {}
    if parts.test is not None and done:
        test_metrics = {f"test_{k}": v for k, v in trainer.evaluate(parts.test).items()}
    if doc is not None and test_metrics:
        doc.check_test(test_metrics)
    if run_dir is not None and (dist is None or dist.is_main):
        write_fit_files(run_dir, trainer, doc)
    if trainer.stop_reason and opts.verbose:
        print(trainer.stop_reason)
    if trainer.eager_steps and opts.verbose:
        echo(
            f"training.compile: {trainer.eager_steps} of {len(trainer.lr_steps)} steps ran "
            "uncompiled: the model had forward hooks then (the doctor's probes), which a compiled "
            "graph would not call"
        )
    for cb in trainer.callbacks if opts.verbose else ():  # "early stopping: restoring epoch 4 .."
        if getattr(cb, "end_message", None):
            print(cb.end_message)
    if doc is not None and opts.verbose and done:
        for line in summary_lines(doc.findings):
            echo(line)
    return FitResult(
        interrupted=trainer.interrupted, model=model, history=history, doctor=doc,
        findings=doc.findings if doc is not None else [], test_metrics=test_metrics,
        lr_steps=trainer.lr_steps, stop_reason=trainer.stop_reason, run_dir=run_dir,
        wall_time=wall,
    )  # fmt: skip


def _silent(*args, **kwargs) -> None:
    """The echo of data-parallel ranks other than 0: rank 0 says everything once."""
