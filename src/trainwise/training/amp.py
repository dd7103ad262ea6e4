"""Mixed precision: which autocast dtype a run uses and whether it needs a gradient scaler.

Decided once per run from ``(precision, device)``; the training loop then only asks
``precision.dtype is None`` to pick its plain or its autocast branch, so fp32 costs nothing.

- ``bf16``: ``torch.autocast`` with bfloat16. Same exponent range as fp32, so no loss scaling.
  On CPU it saves memory and is faster on CPUs with bf16 units (AMX, AVX512-BF16); elsewhere
  it can be slower than fp32. Costs about 3 significant digits in matmul outputs.
- ``fp16``: autocast with float16 plus a ``torch.amp.GradScaler``: fp16's small range
  underflows small gradients, so the loss is multiplied by a scale before backward and the
  gradients divided again before the step; steps whose gradients overflow are skipped and the
  scale halved. Meant for CUDA; it also runs on CPU (slowly), which is how the tests cover it.
- ``auto``: on CUDA bf16 where the GPU supports it, else fp16; on CPU fp32 (bf16 on a CPU
  without bf16 units is usually slower, so it is never chosen silently).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from trainwise.errors import ConfigError

PRECISIONS = ("fp32", "bf16", "fp16", "auto")

_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class Precision:
    """A resolved precision.

    Attributes:
        name: "fp32", "bf16" or "fp16" (never "auto").
        device_type: "cpu", "cuda", ... (what ``torch.autocast`` wants).
        dtype: the autocast dtype, None for fp32 (no autocast at all).
    """

    name: str
    device_type: str
    dtype: torch.dtype | None

    @property
    def uses_scaler(self) -> bool:
        """True for fp16: its gradients need loss scaling."""
        return self.dtype is torch.float16

    def autocast(self) -> torch.autocast:
        """The autocast context for forward pass and loss (only call when ``dtype`` is set)."""
        return torch.autocast(self.device_type, dtype=self.dtype)

    def make_scaler(self) -> torch.amp.GradScaler | None:
        """A fresh ``GradScaler`` for fp16 (torch defaults: initial scale 2**16, growth
        every 2000 clean steps), else None."""
        return torch.amp.GradScaler(self.device_type) if self.uses_scaler else None


def resolve_precision(precision: str, device: str | torch.device = "cpu") -> Precision:
    """Turn a precision name into what the training loop needs.

    Args:
        precision: "fp32" (default everywhere), "bf16", "fp16" or "auto" (see module doc).
        device: the training device (default "cpu").

    Example::

        >>> p = resolve_precision("bf16", "cpu")
        >>> p.dtype, p.uses_scaler
        (torch.bfloat16, False)
        >>> resolve_precision("auto", "cpu").name
        'fp32'
    """
    if precision not in PRECISIONS:
        raise ConfigError(
            f"training.precision: {precision!r} is not allowed; allowed: {', '.join(PRECISIONS)}"
        )
    device_type = torch.device(device).type
    if precision == "auto":
        if device_type == "cuda":
            precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        else:
            precision = "fp32"
    if precision != "fp32":
        if not torch.amp.is_autocast_available(device_type):
            raise ConfigError(
                f"training.precision: {precision!r} needs autocast, which torch does not offer "
                f"on device {device_type!r}; use 'fp32'"
            )
        if precision == "bf16" and device_type == "cuda" and not torch.cuda.is_bf16_supported():
            raise ConfigError(
                "training.precision: 'bf16' is not supported by this GPU; use 'fp16' (with loss "
                "scaling) or 'auto'"
            )
    return Precision(precision, device_type, _DTYPES[precision])


@contextmanager
def tf32_mode(enabled: bool | None) -> Iterator[None]:
    """Within the block, let float32 matmuls and convolutions on CUDA use TF32 tensor cores
    (``True``: about 3 decimal digits of mantissa, several times faster on Ampere and newer)
    or forbid it (``False``); ``None`` (``training.tf32``'s default) leaves torch's setting
    alone. The previous setting is restored on exit, so one run's choice never leaks into the
    next. It changes nothing on CPU.

    torch >= 2.9 has per-backend ``fp32_precision`` flags ("tf32" / "ieee"); older torch the
    ``allow_tf32`` ones. Only one family is touched, as torch refuses a mix of both.

    Example::

        with tf32_mode(True):   # what Trainer(tf32=True) does around its fit
            model(x.cuda())
    """
    if enabled is None:
        yield
        return
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn
    if hasattr(matmul, "fp32_precision") and hasattr(conv, "conv"):
        targets, field = (matmul, conv.conv), "fp32_precision"
        value = "tf32" if enabled else "ieee"
    else:  # torch < 2.9
        targets, field, value = (matmul, conv), "allow_tf32", bool(enabled)
    saved = [getattr(t, field) for t in targets]
    try:
        for t in targets:
            setattr(t, field, value)
        yield
    finally:
        for t, old in zip(targets, saved):
            setattr(t, field, old)
