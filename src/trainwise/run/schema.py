"""The root config: one section per layer, each owned by its package, and how a YAML file
becomes one (:func:`load_config`).

A YAML file maps onto this tree one to one; ``--set optimizer.lr=1e-3`` addresses a field by
its dotted path. Defaults here are the default recipe (see ``trainwise demo``). The sections
``tw.fit`` also takes (data, loss, optimizer, regularization, schedule, training, checkpoint,
seed) live in their packages, so the Python API and YAML share one validator each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from trainwise.config.overrides import apply_overrides
from trainwise.config.section import Section
from trainwise.config.validate import format_validation_error, is_type_error, validate_config
from trainwise.config.yaml_loader import load_yaml_file
from trainwise.data.config import DataConfig
from trainwise.errors import ConfigError, ConfigTypeError
from trainwise.losses.config import LossConfig
from trainwise.models.config import ModelConfig
from trainwise.optim.config import OptimizerConfig
from trainwise.optim.regularization import RegularizationConfig
from trainwise.run.compare_config import CompareConfig
from trainwise.schedules.config import ScheduleConfig
from trainwise.training.config import CheckpointConfig, SeedConfig, TrainingConfig


class EarlyStoppingConfig(Section):
    monitor: str = "val_loss"
    mode: Literal["min", "max", "auto"] = "auto"
    patience: int = Field(5, ge=0)
    min_delta: float = Field(0.0, ge=0)
    baseline: float | None = None
    restore_best: bool = True
    start_from_epoch: int = Field(0, ge=0, description="epochs not monitored (warm-up)")


class ReduceLROnPlateauConfig(Section):
    monitor: str = "val_loss"
    mode: Literal["min", "max", "auto"] = "auto"
    factor: float = Field(0.1, gt=0, lt=1)
    patience: int = Field(10, ge=0)
    cooldown: int = Field(0, ge=0)
    min_lr: float = Field(0.0, ge=0)
    min_delta: float = Field(1e-4, ge=0)


class TensorBoardConfig(Section):
    """TensorBoard event files (see trainwise.callbacks.tensorboard)."""

    dir: str | None = Field(None, description="log directory (default: <run dir>/tensorboard)")
    log_every_steps: int | None = Field(1, ge=1, description="step loss and LR (null: off)")
    histogram_every_epochs: int | None = Field(
        1, ge=1, description="weight and gradient histograms (null: off)"
    )
    graph: bool = Field(True, description="trace the model graph once")


class EMAConfig(Section):
    """Exponential moving average of the weights (see trainwise.callbacks.ema)."""

    decay: float = Field(0.999, ge=0, le=1, description="long-run decay of the average")
    warmup: bool = Field(True, description="TensorFlow's min(decay, (1 + t) / (10 + t))")
    use_for_final: bool = Field(False, description="the final model gets the EMA weights")
    evaluate: bool = Field(True, description="also report ema_val_* metrics every epoch")


class ModelCheckpointConfig(Section):
    """Best-model weight files (see trainwise.callbacks.model_checkpoint)."""

    dirpath: str | None = Field(None, description="where to write (default: <run dir>/best)")
    monitor: str = "val_loss"
    mode: Literal["min", "max", "auto"] = "auto"
    min_delta: float = Field(0.0, ge=0)
    save_best_only: bool = Field(True, description="save only epochs that enter the top-k")
    every_n_epochs: int = Field(1, ge=1, description="look at the metric every N epochs")
    save_top_k: int | None = Field(1, ge=1, description="files kept, best first (null: all)")


class CallbacksConfig(Section):
    """Optional tricks switched on from YAML (each is off when absent or null)."""

    early_stopping: EarlyStoppingConfig | None = None
    reduce_lr_on_plateau: ReduceLROnPlateauConfig | None = None
    tensorboard: TensorBoardConfig | None = None
    ema: EMAConfig | None = None
    model_checkpoint: ModelCheckpointConfig | None = None


class OutputConfig(Section):
    dir: str = Field("runs", description="parent folder of run directories")
    name: str | None = Field(None, description="run directory name (default: config name + time)")


class Config(SeedConfig):
    """A whole run (``seed`` comes from :class:`SeedConfig`, first as before). Example::

    cfg = Config.model_validate({"optimizer": {"lr": 1e-3}})

    Every way in (``Config(...)``, ``Config.model_validate``, ``model_validate_json``,
    :func:`load_config`) reports bad values as one :class:`~trainwise.errors.ConfigError`
    (``optimizer.lr: -1 is not allowed: ...``, every problem at once), never pydantic's
    ``ValidationError``.
    """

    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    loss: LossConfig = LossConfig()
    optimizer: OptimizerConfig = OptimizerConfig()
    regularization: RegularizationConfig = RegularizationConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    training: TrainingConfig = TrainingConfig()
    callbacks: CallbacksConfig = CallbacksConfig()
    checkpoint: CheckpointConfig = CheckpointConfig()
    doctor: bool = Field(
        True,
        description="the training doctor: preflight checks, live probes, curve rules (false: off)",
    )
    output: OutputConfig = OutputConfig()
    compare: CompareConfig = Field(
        default_factory=CompareConfig,
        description="variants for `trainwise compare` (a plain run ignores it)",
    )

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _config_error(exc) from None

    # pydantic calls a custom __init__ from inside validation, where this ConfigError (a
    # ValueError) would be wrapped in a ValidationError again; marked as the base __init__
    # (as pydantic's RootModel does), validation skips it and only Config(...) runs it
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Config:
        # pydantic's own entry point, kept in the project's words: load_config, tw.fit's
        # sections and a direct call all name the field, the value and what is allowed
        if not isinstance(obj, (dict, Config)):
            raise _config_error(None, obj)
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise _config_error(exc) from None

    @classmethod
    def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> Config:
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            raise _config_error(exc) from None

    @classmethod
    def model_validate_strings(cls, obj: Any, *args: Any, **kwargs: Any) -> Config:
        try:
            return super().model_validate_strings(obj, *args, **kwargs)
        except ValidationError as exc:
            raise _config_error(exc) from None


def _config_error(exc: ValidationError | None, obj: Any = None) -> ConfigError:
    """The error :func:`~trainwise.config.validate.validate_config` raises, word for word."""
    if exc is None:
        return ConfigError(
            f"config: a {type(obj).__name__} is not allowed; allowed: a mapping of sections, "
            "e.g. {'optimizer': {'lr': 0.001}}, or a Config"
        )
    errors = format_validation_error(exc, Config)
    head = f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in the config:"
    error = ConfigTypeError if is_type_error(exc) else ConfigError
    return error("\n".join([head] + [f"  - {e}" for e in errors]), errors)


def load_config(
    path: str | Path | None = None,
    overrides: list[str] | None = None,
    base: dict[str, Any] | None = None,
) -> Config:
    """Read ``path`` (or start from ``base``, default empty: the default recipe's values),
    apply ``--set`` overrides (default none), validate; every problem is reported at once as
    one :class:`~trainwise.errors.ConfigError`. Also ``tw.load_config``.

    Example::

        cfg = load_config("examples/mnist1d.yaml", ["optimizer.lr=3e-3"])
    """
    data = dict(base or {})
    if path is not None:
        data.update(load_yaml_file(path))
    data = apply_overrides(data, overrides)
    return validate_config(data, Config)
