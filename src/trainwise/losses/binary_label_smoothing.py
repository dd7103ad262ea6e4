"""Label smoothing for binary cross-entropy (torch's BCE losses have no ``label_smoothing``)."""

from __future__ import annotations

from torch import Tensor, nn

from trainwise.errors import ConfigError


class BinaryLabelSmoothing(nn.Module):
    """Wrap a binary cross-entropy so targets become ``y * (1 - s) + 0.5 * s``.

    This is Keras' ``BinaryCrossentropy(label_smoothing=s)`` rule: a target of 1 becomes
    ``1 - s/2`` and 0 becomes ``s/2``. Written by hand because ``nn.BCELoss`` and
    ``nn.BCEWithLogitsLoss`` take no smoothing argument; it costs one fused multiply-add on the
    target batch. Targets are cast to the input's dtype, so integer 0/1 labels work.

    Args:
        loss_module: ``nn.BCELoss`` or ``nn.BCEWithLogitsLoss`` (or any loss on 0..1 targets).
        smoothing: s in [0, 1).

    Example::

        >>> import torch
        >>> loss = BinaryLabelSmoothing(torch.nn.BCELoss(), 0.2)
        >>> round(float(loss(torch.tensor([0.9]), torch.tensor([1.0]))), 4)  # target 0.9
        0.3251
    """

    def __init__(self, loss_module: nn.Module, smoothing: float):
        super().__init__()
        if not 0.0 <= smoothing < 1.0:
            raise ConfigError(
                f"loss.label_smoothing: {smoothing!r} is not allowed; must be in [0, 1)"
            )
        self.loss = loss_module
        self.smoothing = float(smoothing)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        s = self.smoothing
        return self.loss(input, target.to(input.dtype) * (1.0 - s) + 0.5 * s)

    def extra_repr(self) -> str:
        return f"smoothing={self.smoothing}"
