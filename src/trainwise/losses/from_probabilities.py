"""Categorical cross-entropy on probabilities (softmax outputs), Keras' ``from_logits=False``."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class FromProbabilities(nn.Module):
    """Feed ``log(clamp(p, eps, 1))`` to a logits loss such as ``nn.CrossEntropyLoss``.

    Why this is exact: cross-entropy applies ``log_softmax`` to its input, and
    ``log_softmax(log p) = log p - log(sum p) = log p`` when the probabilities sum to 1, so
    the result equals ``-sum(target * log p)`` and keeps CrossEntropyLoss' label smoothing and
    target formats. The clamp at ``eps`` (Keras' 1e-7) keeps a zero probability from giving an
    infinite loss; the logits path is still preferred (more stable, no clamp). Written by hand:
    torch has no cross-entropy on probabilities.

    Example::

        >>> p = torch.tensor([[0.25, 0.75]])
        >>> round(float(FromProbabilities(nn.CrossEntropyLoss())(p, torch.tensor([1]))), 6)
        0.287682
    """

    def __init__(self, loss_module: nn.Module, eps: float = 1e-7):
        super().__init__()
        self.loss = loss_module
        self.eps = float(eps)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self.loss(torch.log(input.clamp(self.eps, 1.0)), target)

    def extra_repr(self) -> str:
        return f"eps={self.eps}"
