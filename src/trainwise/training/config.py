"""The sections ``tw.fit`` shares with YAML: ``training:``, ``checkpoint:`` and the root ``seed``.

``tw.fit(batch_size=0)`` and ``training: {batch_size: 0}`` are checked by the same field here,
so both say ``training.batch_size: 0 is not allowed: ...``. The root config
(:class:`trainwise.run.schema.Config`) nests these sections and extends :class:`SeedConfig`.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field, field_validator

from trainwise.config.section import Section
from trainwise.errors import ConfigError

#: Device spellings a run may ask for; ``cuda:N`` picks one GPU of several.
DEVICES = "cpu, cuda, cuda:N, mps or auto"

#: ``training.progress`` / ``tw.fit(verbose=)`` spellings beyond the four names. YAML 1.1
#: reads a bare ``off``/``on`` as a bool; Keras' ``verbose`` integers mean 0 silent, 1 as
#: True, 2 one line per epoch (0 and 1 are the keys False and True); None is silent.
_PROGRESS_ALIASES = {False: "off", True: "auto", 2: "lines", None: "off"}


class TrainingConfig(Section):
    """How long and how: epochs, batch size, clipping, precision, device, progress display.

    Defaults: epochs 30, batch_size 128 (``tw.fit``'s own default is 64), no clipping,
    precision fp32, accumulate_steps 1, device cpu, tf32 null (torch's own setting), compile
    false, progress auto.

    Example::

        >>> TrainingConfig(epochs=5, progress=2).progress
        'lines'
    """

    epochs: int = Field(30, ge=1, description="passes over the training data")
    batch_size: int = Field(128, ge=1, description="samples per optimizer step")
    # finite: a NaN or infinite clip bound would turn clipping into a silent no-op or a NaN
    grad_clip_norm: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="clip the global gradient norm"
    )
    grad_clip_value: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="clip each gradient value"
    )
    precision: Literal["fp32", "bf16", "fp16", "auto"] = Field(
        "fp32",
        description="fp32; bf16 autocast (CPU); fp16 autocast + loss scaling (CUDA); auto: "
        "bf16/fp16 on CUDA, fp32 on CPU",
    )
    accumulate_steps: int = Field(
        1, ge=1, description="batches per optimizer step (effective batch = batch_size * this)"
    )
    device: str = Field("cpu", description=f"one of {DEVICES}")
    tf32: bool | None = Field(
        None,
        description="TF32 tensor cores for float32 matmuls/convolutions on CUDA: true, false, "
        "or null to leave torch's setting (restored after the run)",
    )
    compile: bool = Field(
        False,
        description="torch.compile the model for the training and evaluation passes (the "
        "doctor's probe steps run it uncompiled, so its hooks see every layer)",
    )
    progress: Literal["auto", "bar", "lines", "off"] = "auto"

    @field_validator("progress", mode="before")
    @classmethod
    def _progress_aliases(cls, v):
        try:
            return _PROGRESS_ALIASES.get(v, v)
        except TypeError:  # an unhashable value: let the Literal check word the error
            return v

    @field_validator("device")
    @classmethod
    def _device_spelling(cls, v: str) -> str:
        # the spelling only: whether this machine has the device is asked when a run starts
        # (resolve_device), so a config written for a GPU box still loads on a laptop
        if v == "auto":
            return v
        try:
            kind = torch.device(v).type
        except (RuntimeError, TypeError, ValueError):
            kind = None
        if kind not in ("cpu", "cuda", "mps"):
            raise ValueError(f"expected {DEVICES}")
        return v


class CheckpointConfig(Section):
    """When to save checkpoints (atomic, pickle-free; see trainwise.checkpoint).

    Defaults: every epoch, not every N steps, keep the 3 newest. ``tw.fit`` takes them as
    ``checkpoint_every_epochs``, ``checkpoint_every_steps`` and ``keep_checkpoints``.

    Example::

        >>> CheckpointConfig(every_steps=100).keep
        3
    """

    every_epochs: int | None = Field(1, ge=1, description="save after every N epochs (null: off)")
    every_steps: int | None = Field(None, ge=1, description="also save every N optimizer steps")
    keep: int = Field(3, ge=1, description="how many recent checkpoints to keep")


class SeedConfig(Section):
    """The root ``seed:`` key (default 0): seeds Python, NumPy and torch before training.

    The root config extends this section, so ``tw.fit(seed=-1)`` and ``seed: -1`` get the same
    message. Example::

        >>> SeedConfig(seed=3).seed
        3
    """

    seed: int = Field(0, ge=0)


def resolve_device(device: str) -> str:
    """``"auto"`` -> cuda when torch sees a GPU, else cpu; any other device must exist here.

    Example::

        >>> resolve_device("cpu")
        'cpu'
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    kind = torch.device(device).type
    present = {"cpu": True, "cuda": torch.cuda.is_available()}
    if kind == "mps":
        present["mps"] = torch.backends.mps.is_available()
    if not present.get(kind, False):
        raise ConfigError(
            f"training.device: {device!r} is not available on this machine (torch sees no "
            f"{kind} device); allowed here: cpu or auto"
        )
    return device
