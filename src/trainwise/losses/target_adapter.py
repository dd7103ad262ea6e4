"""Make binary and regression targets fit the output before the loss sees them.

Torch's MSE silently broadcasts an (N, 1) output against (N,) targets into an (N, N) matrix,
giving a wrong loss with no error; BCE wants float targets. This wrapper views the target as
the output's shape when they hold the same number of values and casts it to the output's
dtype. Cost: a view and, for integer targets, one cast per step.
"""

from __future__ import annotations

from torch import Tensor, nn


class TargetAdapter(nn.Module):
    """Wrap ``loss_module`` so ``(output (N, 1), target (N,))`` works as intended.

    Example::

        >>> import torch
        >>> loss = TargetAdapter(torch.nn.MSELoss())
        >>> float(loss(torch.zeros(2, 1), torch.tensor([1.0, 3.0])))
        5.0
    """

    def __init__(self, loss_module: nn.Module):
        super().__init__()
        self.loss = loss_module

    def forward(self, output: Tensor, target: Tensor) -> Tensor:
        if target.shape != output.shape and target.numel() == output.numel():
            target = target.view(output.shape)
        if target.dtype != output.dtype:
            target = target.to(output.dtype)
        return self.loss(output, target)
