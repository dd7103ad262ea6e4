"""Batched predictions: a model's raw outputs for many samples, in eval mode, on the CPU.

The one helper behind ``Trainer.predict``, ensembles, cross-validation's out-of-fold
predictions and checkpoint evaluation, so they all predict the same way: eval mode (dropout
off, BatchNorm running statistics) with every module's own mode restored afterwards, no
autograd graph, fixed-size batches moved to ``device`` one at a time (a large ``x`` never
sits on the GPU whole), float32 CPU outputs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from trainwise.models.modes import evaluating


def predict_outputs(
    model: nn.Module,
    x: torch.Tensor,
    batch_size: int = 512,
    device: str | torch.device = "cpu",
    forward: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """Raw outputs of ``model`` for ``x`` in batches of ``batch_size`` (default 512) on
    ``device`` (default "cpu"), as one float32 CPU tensor (``torch.empty(0)`` for an empty
    ``x``). ``forward`` (default ``model``) runs each batch, e.g. the trainer's forward under
    mixed precision.

    Example::

        >>> predict_outputs(nn.Linear(3, 2), torch.zeros(5, 3), batch_size=2).shape
        torch.Size([5, 2])
    """
    forward = model if forward is None else forward
    with evaluating(model):
        outs = [
            forward(x[i : i + batch_size].to(device)).float().cpu()
            for i in range(0, len(x), batch_size)
        ]
    return torch.cat(outs) if outs else torch.empty(0)
