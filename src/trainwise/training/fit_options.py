"""``tw.fit``'s user values, checked once, by the sections a YAML config uses.

Each keyword goes to the field YAML fills (``batch_size`` -> ``training.batch_size``,
``validation_split`` -> ``data.validation_split``, ``keep_checkpoints`` -> ``checkpoint.keep``,
``verbose`` -> ``training.progress``, ``seed`` -> the root ``seed``), so the same bad value gets
the same sentence either way, and every problem is reported at once, in the config's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from trainwise.config.validate import make_section
from trainwise.data.config import DataConfig
from trainwise.errors import ArgumentTypeError, ConfigError, ConfigTypeError
from trainwise.losses.config import LossConfig
from trainwise.optim.config import OptimizerConfig
from trainwise.optim.regularization import RegularizationConfig
from trainwise.schedules.config import ScheduleConfig
from trainwise.training.config import CheckpointConfig, SeedConfig, TrainingConfig, resolve_device


@dataclass(frozen=True)
class FitOptions:
    """The checked options of one ``tw.fit`` call.

    ``loss`` is None when a loss module was given, ``optimizer`` None when a built optimizer
    was (``lr``, checked by ``optimizer.lr``, then sets its groups' LR). ``validation_split``
    0 means no split; ``device`` is resolved ("auto" -> cuda or cpu); ``verbose`` is the
    Progress mode or False.
    """

    seed: int | None
    validation_split: float
    shuffle: bool
    loss: LossConfig | None
    optimizer: OptimizerConfig | None
    lr: float | None
    regularization: RegularizationConfig
    schedule: ScheduleConfig
    training: TrainingConfig
    checkpoint: CheckpointConfig
    device: str
    verbose: str | bool


def as_section(value, cls, prefix: str, name_field: str = "name", **extra):
    """A name, a dict of fields, a section or None (the section's defaults) -> a section of
    ``cls``; ``extra`` fields that are not None are set on top of a name or dict (``lr=`` on
    the optimizer). A section instance is taken as it is.

    Example::

        as_section("adamw", OptimizerConfig, "optimizer", lr=3e-3)
    """
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


def is_loss_module(loss) -> bool:
    """A ready loss (a module or any callable) rather than a name, a dict or a LossConfig."""
    return isinstance(loss, nn.Module) or (
        callable(loss) and not isinstance(loss, (str, dict, LossConfig))
    )


def check_fit_options(model, *, val_data, out_dir, resume, **values) -> FitOptions:
    """Check every value of a ``tw.fit`` call before any work is done, so a typo never costs
    a training run. ``values`` are ``tw.fit``'s keywords of the same names. Raises
    :class:`ConfigError` listing every problem (:class:`ConfigTypeError` when all are wrong
    types), :class:`ArgumentTypeError` for an object where a name or number belongs.

    Example::

        opts = check_fit_options(model, val_data=None, out_dir=None, resume=False, **kwargs)
    """
    if not isinstance(model, nn.Module):
        raise ArgumentTypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    v = values
    problems: list[ConfigError] = []

    def checked(value, cls, prefix: str, **extra):
        """The section, or None with its problems noted (all are raised together below)."""
        try:
            return as_section(value, cls, prefix, **extra)
        except ConfigError as exc:
            problems.append(exc)
            return None

    # in the root config's field order, so a list of problems reads as the YAML one does
    seed = v["seed"]
    if seed is not None:
        checked({"seed": seed}, SeedConfig, "")
    split = 0.0 if v["validation_split"] is None else v["validation_split"]
    data = checked({"validation_split": split, "shuffle": v["shuffle"]}, DataConfig, "data")
    loss = None if is_loss_module(v["loss"]) else checked(v["loss"], LossConfig, "loss")
    optimizer = None
    if not isinstance(v["optimizer"], torch.optim.Optimizer):
        optimizer = checked(v["optimizer"], OptimizerConfig, "optimizer", lr=v["lr"])
    elif v["lr"] is not None:  # a built optimizer: lr only sets its groups' LR
        checked({"lr": v["lr"]}, OptimizerConfig, "optimizer")
    regularization = checked(v["regularization"], RegularizationConfig, "regularization")
    schedule = checked(v["schedule"], ScheduleConfig, "schedule")
    keys = ("epochs", "batch_size", "grad_clip_norm", "grad_clip_value", "precision")
    keys += ("accumulate_steps", "device", "tf32", "compile")
    training = checked(  # tf32 and compile may be left out: their defaults then apply
        {**{k: v[k] for k in keys if k in v}, "progress": v["verbose"]}, TrainingConfig, "training"
    )
    checkpoint = checked(
        {
            "every_epochs": v["checkpoint_every_epochs"],
            "every_steps": v["checkpoint_every_steps"],
            "keep": v["keep_checkpoints"],
        },
        CheckpointConfig,
        "checkpoint",
    )
    if problems:
        errors = [e for exc in problems for e in exc.errors]
        wrong_types = all(isinstance(exc, ConfigTypeError) for exc in problems)
        raise (ConfigTypeError if wrong_types else ConfigError)("\n".join(errors), errors)
    if val_data is not None and data.validation_split:
        raise ConfigError("give either val_data or validation_split, not both")
    if resume and out_dir is None:
        raise ConfigError("resume=True needs out_dir= (the run directory holding the checkpoints)")
    return FitOptions(
        seed=seed,
        validation_split=data.validation_split,
        shuffle=data.shuffle,
        loss=loss,
        optimizer=optimizer,
        lr=v["lr"],
        regularization=regularization,
        schedule=schedule,
        training=training,
        checkpoint=checkpoint,
        device=resolve_device(training.device),
        verbose=False if training.progress == "off" else training.progress,
    )
