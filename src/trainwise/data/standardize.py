"""Input standardization ``(x - mean) / std`` with statistics from the training split only.

Hand-written rather than sklearn's ``StandardScaler``: that one only knows per-column
statistics of 2-D arrays, while signals and images need per-channel statistics over the
batch and spatial axes, on tensors, NaN-aware (the NaN fault must not poison the statistics
of the clean values), with a tensor-only ``state_dict`` that checkpoints without pickle.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from trainwise.errors import ConfigError, DataError

Mode = Literal["auto", "none", "feature", "channel", "global"]
MODES = ("auto", "none", "feature", "channel", "global")

#: Standard deviations below this are treated as 1 (left unscaled), as sklearn does with
#: near-zero scales: a constant feature (digits' always-blank border pixels) has std 0, and
#: dividing by it gives inf/NaN; dividing by a tiny floor instead would blow float32
#: rounding noise up into huge values. Constant features become exactly 0 either way.
STD_FLOOR = 1e-6


def resolve_mode(mode: str, kind: str) -> str:
    """The concrete mode: ``auto`` is ``feature`` for tabular data, ``channel`` otherwise.

    Example::

        >>> resolve_mode("auto", "signal"), resolve_mode("auto", "tabular")
        ('channel', 'feature')
    """
    if mode not in MODES:
        raise ConfigError(
            f"data.standardize: {mode!r} is not a known mode; allowed: {', '.join(MODES)}"
        )
    if mode == "auto":
        return "feature" if kind == "tabular" else "channel"
    return mode


def _reduce_dims(mode: str, ndim: int) -> tuple[int, ...]:
    if mode == "feature":
        return (0,)
    if mode == "channel":
        return (0, *range(2, ndim))  # for (N, F) this is (0,): one "channel" per column
    return tuple(range(ndim))


class Standardizer:
    """Fit per-feature, per-channel or global mean/std on training inputs; apply to any split.

    Defaults: ``mode="auto"`` (per feature for ``kind="tabular"``, per channel for signals
    and images). Statistics ignore NaN values; std is the population std (ddof 0), and stds
    below :data:`STD_FLOOR` count as 1. ``mean``/``std`` keep broadcastable shapes such as
    (1, F), (1, C, 1) or (1, C, 1, 1), so ``transform`` needs nothing else.

    Example::

        >>> x = torch.tensor([[0.0, 10.0], [2.0, 30.0]])
        >>> s = Standardizer(kind="tabular").fit(x)
        >>> s.transform(x)
        tensor([[-1., -1.],
                [ 1.,  1.]])
    """

    def __init__(self, mode: Mode = "auto", kind: str = "tabular"):
        self.mode = resolve_mode(mode, kind)
        self.kind = kind
        self.mean: Tensor | None = None
        self.std: Tensor | None = None

    def fit(self, x: Tensor) -> Standardizer:
        """Compute mean and std of ``x`` (the training inputs) and return ``self``."""
        if x.ndim < 2 or x.shape[0] == 0:
            raise DataError(
                f"x: shape {tuple(x.shape)} cannot be standardized; allowed: (N, ...) with N >= 1"
            )
        x = x.double()  # float64 sums: float32 loses digits on large, far-from-zero data
        if self.mode == "none":
            shape = (1,) * x.ndim
            self.mean, self.std = torch.zeros(shape), torch.ones(shape)
            return self
        dims = _reduce_dims(self.mode, x.ndim)
        mean = torch.nanmean(x, dim=dims, keepdim=True)
        var = torch.nanmean((x - mean) ** 2, dim=dims, keepdim=True)
        std = var.sqrt()
        # an all-NaN feature has no statistics: leave it as it is.
        mean = torch.nan_to_num(mean, nan=0.0)
        std = torch.where(torch.isnan(std) | (std < STD_FLOOR), torch.ones_like(std), std)
        self.mean, self.std = mean.float(), std.float()
        return self

    def transform(self, x: Tensor) -> Tensor:
        """``(x - mean) / std`` in float32; raises if called before ``fit``."""
        if self.mean is None or self.std is None:
            raise DataError(
                "standardizer: transform called before fit; allowed: fit(x_train) first"
            )
        mean, std = self.mean.to(x.device), self.std.to(x.device)
        return ((x.float() - mean) / std).float()

    def inverse_transform(self, x: Tensor) -> Tensor:
        """``x * std + mean``: back to the original units."""
        if self.mean is None or self.std is None:
            raise DataError("standardizer: inverse_transform called before fit; allowed: fit first")
        return x.float() * self.std.to(x.device) + self.mean.to(x.device)

    def state_dict(self) -> dict[str, Tensor]:
        """``{"mean": Tensor, "std": Tensor}`` (tensors only: safe for safetensors)."""
        if self.mean is None or self.std is None:
            raise DataError("standardizer: state_dict called before fit; allowed: fit first")
        return {"mean": self.mean.clone(), "std": self.std.clone()}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        """Restore ``mean`` and ``std`` saved by :meth:`state_dict`."""
        missing = {"mean", "std"} - set(state)
        if missing:
            raise DataError(
                f"standardizer state: missing {sorted(missing)}; allowed: keys 'mean' and 'std'"
            )
        self.mean, self.std = state["mean"].float().clone(), state["std"].float().clone()

    def __repr__(self) -> str:
        return (
            f"Standardizer(mode={self.mode!r}, kind={self.kind!r}, fitted={self.mean is not None})"
        )
