"""Run a model in eval mode for a moment and put every module's own mode back afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """Context manager: ``model.eval()`` and ``torch.no_grad()`` inside, and on exit each module's
    previous ``training`` flag restored one by one (``model.train(old)`` would also flip
    modules the user had deliberately frozen in eval mode, e.g. a BatchNorm).

    Eval mode matters beyond dropout: a train-mode forward would update BatchNorm's running
    statistics with the dummy batch.

    >>> m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    >>> with evaluating(m):
    ...     m.training
    False
    >>> m.training
    True
    """
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        for module, training in modes:
            module.training = training


def dummy_batch(model: nn.Module, input_shape: tuple[int, ...], batch: int) -> torch.Tensor:
    """Zeros of shape (batch, *input_shape) on the model's device, in its floating dtype
    (float32 for a model without floating parameters).

    >>> dummy_batch(nn.Linear(3, 1), (3,), 2).shape
    torch.Size([2, 3])
    """
    device, dtype = torch.device("cpu"), torch.float32
    for tensor in list(model.parameters()) + list(model.buffers()):
        device = tensor.device
        if tensor.is_floating_point():
            dtype = tensor.dtype
            break
    return torch.zeros(batch, *input_shape, device=device, dtype=dtype)
