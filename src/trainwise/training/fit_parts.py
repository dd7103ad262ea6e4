"""The objects one ``tw.fit`` call trains with, built from its checked options: the loss and
task, the batch sources (checked against the model before the first step), the optimizer, the
LR schedule and the weight penalty.

Built in a fixed order after seeding (the preflight forward pass and the optimizer come after
the data split, as they always have), so a run's random draws, and so its results, stay
bitwise the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from trainwise.errors import ConfigError, DataError
from trainwise.losses.build import build_loss, loss_input, loss_task
from trainwise.losses.target_adapter import TargetAdapter
from trainwise.optim.build import build_optimizer
from trainwise.optim.regularization import WeightPenalty
from trainwise.schedules.build import build_scheduler
from trainwise.training.batches import LoaderBatches, TensorBatches
from trainwise.training.fit_options import FitOptions
from trainwise.training.inputs import as_batches, first_batch, is_xy, split_last
from trainwise.training.preflight import check_class_weight, check_targets_fit_output
from trainwise.vocabulary import infer_task


@dataclass
class FitParts:
    """What the Trainer and the doctor need; ``steps_per_epoch`` counts optimizer steps."""

    loss_fn: Any
    task: str
    from_logits: bool
    train: TensorBatches | LoaderBatches
    val: TensorBatches | LoaderBatches | None
    test: TensorBatches | LoaderBatches | None
    optimizer: torch.optim.Optimizer
    scheduler: Any
    steps_per_epoch: int
    penalty: WeightPenalty


def build_fit_parts(
    model: nn.Module,
    opts: FitOptions,
    train_data,
    val_data,
    test_data,
    *,
    loss,
    optimizer,
    task: str | None,
    sampler,
    class_weight,
) -> FitParts:
    """Build a run's parts; ``loss`` and ``optimizer`` are only read when ``opts`` holds no
    section for them (a loss module, a built optimizer).

    Example::

        parts = build_fit_parts(model, opts, (x, y), None, None, loss=None, optimizer=None,
                                task=None, sampler=None, class_weight=None)
    """
    batch_size = opts.training.batch_size
    if opts.validation_split:
        train_data, val_data = split_last(train_data, opts.validation_split)
    if opts.loss is None:
        loss_fn = loss
    else:
        loss_fn = build_loss(opts.loss)
        if loss_task(opts.loss.name) != "classification":
            loss_fn = TargetAdapter(loss_fn)
    if task is None:
        task = loss_task(opts.loss.name) if opts.loss else task_from_targets(train_data)
    from_logits = opts.loss is None or loss_input(opts.loss.name, opts.loss.from_logits) != (
        "probabilities"
    )
    seed = opts.seed or 0
    pin = torch.device(opts.device).type == "cuda"  # non_blocking copies need pinned batches
    train = as_batches(train_data, "train_data", batch_size, opts.shuffle, seed, sampler, pin)
    val, test = (
        as_batches(d, name, max(batch_size, 256), False, 0, pin_memory=pin)
        if d is not None
        else None
        for d, name in ((val_data, "val_data"), (test_data, "test_data"))
    )
    n_out = check_targets_fit_output(model, train, task, opts.device, name="train_data")
    for extra, name in ((val, "val_data"), (test, "test_data")):
        if extra is not None:
            check_targets_fit_output(model, extra, task, opts.device, name=name)
    if class_weight is not None:  # after the checks: its length must match the model's outputs
        set_class_weight(loss_fn, check_class_weight(class_weight, n_out), opts.device)
    model.to(opts.device)
    if opts.optimizer is None:
        opt = optimizer
        if opts.lr is not None:
            for g in opt.param_groups:
                g["lr"] = opts.lr
    else:
        effective_batch = batch_size * opts.training.accumulate_steps
        opt = build_optimizer(opts.optimizer, model, batch_size=effective_batch)
    epochs = opts.training.epochs
    steps_per_epoch = -(-len(train) // opts.training.accumulate_steps)  # rounded up
    scheduler = build_scheduler(opts.schedule, opt, steps_per_epoch=steps_per_epoch, epochs=epochs)
    penalty = WeightPenalty(opts.regularization, model)
    return FitParts(
        loss_fn, task, from_logits, train, val, test, opt, scheduler, steps_per_epoch, penalty
    )


def set_class_weight(loss_fn: nn.Module, class_weight, device) -> None:
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


def task_from_targets(data) -> str:
    """Integer targets -> classification, float -> regression (for custom loss modules);
    :func:`trainwise.vocabulary.infer_task` is the rule."""
    if is_xy(data):
        return infer_task(data[1]) or "regression"  # no targets: the old default
    try:
        _, yb = first_batch(as_batches(data, "train_data", 2, False, 0))
    except StopIteration:
        raise DataError("train_data: the dataset is empty") from None
    return infer_task(yb)
