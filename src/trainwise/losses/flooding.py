"""Flooding (Ishida et al., ICML 2020, arXiv:2002.08709): keep the training loss near b."""

from __future__ import annotations

from torch import Tensor, nn

from trainwise.errors import ConfigError


class Flooding(nn.Module):
    """Wrap ``loss_module`` so it returns ``|L - b| + b``.

    Above the flood level b this is the plain loss (same value, same gradient); below it the
    gradient flips sign, so the optimizer climbs back up to b instead of driving the training
    loss to zero. It is the paper's remedy for validation loss rising together with validation
    accuracy (over-confident predictions). Written by hand: torch has no flooding. It floods
    whatever the inner loss returns; with the usual ``reduction="mean"`` that is the mini-batch
    mean, as in the paper. Cost: one subtraction, abs and addition on a scalar.

    Args:
        loss_module: any loss ``(input, target) -> Tensor``.
        b: the flood level, >= 0 (the paper searches b over a grid against a validation split).

    Example::

        >>> import torch
        >>> loss = Flooding(torch.nn.MSELoss(), b=0.5)
        >>> round(float(loss(torch.zeros(2), torch.full((2,), 0.2))), 4)  # MSE 0.04 < b
        0.96
    """

    def __init__(self, loss_module: nn.Module, b: float):
        super().__init__()
        if not b >= 0:
            raise ConfigError(f"loss.flooding: {b!r} is not allowed; must be >= 0")
        self.loss = loss_module
        self.b = float(b)

    def forward(self, *args, **kwargs) -> Tensor:
        return (self.loss(*args, **kwargs) - self.b).abs() + self.b

    def extra_repr(self) -> str:
        return f"b={self.b}"
