"""The regularization a plain loop sets up, read from the objects themselves.

``Doctor(model, optimizer)`` in a hand-written loop is told nothing about regularization, yet
the two usual kinds live in plain Python attributes: ``weight_decay`` in the optimizer's param
groups and ``p`` of the model's dropout modules. Read once when the doctor is made (no device
work), they let ``over_regularized`` name a penalty or dropout that keeps the model from
fitting, and let ``lr_too_high`` tell a decay-pinned weight from a too-large step. A penalty
added to the loss by hand (``loss + l2 * w.pow(2).sum()``) is not visible here.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def read_regularization(
    model: nn.Module, optimizer: torch.optim.Optimizer | None
) -> dict[str, Any]:
    """``{"weight_decay", "optimizer", "dropout"}`` as far as they are set (the largest weight
    decay over param groups that hold parameters, the optimizer's class name in lower case, the
    largest dropout ``p``); zero values are left out, so an empty dict means none was found.

    Example::

        >>> m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.9))
        >>> read_regularization(m, torch.optim.SGD(m.parameters(), lr=0.1, weight_decay=0.5))
        {'weight_decay': 0.5, 'optimizer': 'sgd', 'dropout': 0.9}
    """
    out: dict[str, Any] = {}
    if optimizer is not None:
        decays = [
            float(g.get("weight_decay") or 0.0) for g in optimizer.param_groups if g.get("params")
        ]
        wd = max(decays, default=0.0)
        if wd > 0:
            out["weight_decay"] = wd
            out["optimizer"] = type(optimizer).__name__.lower()
    p = max(
        (float(m.p) for m in model.modules() if isinstance(m, nn.modules.dropout._DropoutNd)),
        default=0.0,
    )
    if p > 0:
        out["dropout"] = p
    return out
