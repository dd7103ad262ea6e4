"""The root config: one section per layer, each owned by its package.

A YAML file maps onto this tree one to one; ``--set optimizer.lr=1e-3`` addresses a field by
its dotted path. Defaults here are the default recipe (see ``trainwise demo``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from trainwise.config.section import Section
from trainwise.data.config import DataConfig
from trainwise.experiments.compare_config import CompareConfig
from trainwise.losses.config import LossConfig
from trainwise.models.config import ModelConfig
from trainwise.optim.config import OptimizerConfig
from trainwise.optim.regularization import RegularizationConfig
from trainwise.schedules.config import ScheduleConfig


class TrainingConfig(Section):
    """How long and how: epochs, batch size, clipping, device, progress display."""

    epochs: int = Field(30, ge=1, description="passes over the training data")
    batch_size: int = Field(128, ge=1, description="samples per optimizer step")
    grad_clip_norm: float | None = Field(None, gt=0, description="clip the global gradient norm")
    grad_clip_value: float | None = Field(None, gt=0, description="clip each gradient value")
    precision: Literal["fp32", "bf16", "fp16", "auto"] = Field(
        "fp32",
        description="fp32; bf16 autocast (CPU); fp16 autocast + loss scaling (CUDA); auto: "
        "bf16/fp16 on CUDA, fp32 on CPU",
    )
    accumulate_steps: int = Field(
        1, ge=1, description="batches per optimizer step (effective batch = batch_size * this)"
    )
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    progress: Literal["auto", "bar", "lines", "off"] = "auto"

    @field_validator("progress", mode="before")
    @classmethod
    def _yaml_off(cls, v):
        # YAML 1.1 reads a bare `off`/`on` as a bool; take them as meant
        return {False: "off", True: "auto"}.get(v, v) if isinstance(v, bool) else v


class EarlyStoppingConfig(Section):
    monitor: str = "val_loss"
    mode: Literal["min", "max", "auto"] = "auto"
    patience: int = Field(5, ge=0)
    min_delta: float = Field(0.0, ge=0)
    baseline: float | None = None
    restore_best: bool = True


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


class CheckpointConfig(Section):
    """When to save checkpoints (atomic, pickle-free; see trainwise.checkpoint)."""

    every_epochs: int | None = Field(1, ge=1, description="save after every N epochs (null: off)")
    every_steps: int | None = Field(None, ge=1, description="also save every N optimizer steps")
    keep: int = Field(3, ge=1, description="how many recent checkpoints to keep")


class OutputConfig(Section):
    dir: str = Field("runs", description="parent folder of run directories")
    name: str | None = Field(None, description="run directory name (default: config name + time)")


class Config(Section):
    """A whole run. Example::

    cfg = Config.model_validate({"optimizer": {"lr": 1e-3}})
    """

    seed: int = Field(0, ge=0)
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
