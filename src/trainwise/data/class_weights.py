"""Per-class loss weights that make rare classes count as much as common ones."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from trainwise.errors import DataError


def compute_class_weights(
    y: Any, num_classes: int, mode: str | dict[int, float] = "balanced"
) -> Tensor:
    """A float32 tensor of ``num_classes`` weights for a weighted loss.

    ``mode="balanced"`` (the default) gives ``n / (C * count_c)`` through sklearn's
    ``compute_class_weight``, with C the number of classes present in ``y``; a class absent
    from ``y`` gets weight 1 (it adds no loss terms anyway). A dict ``{class: weight}``
    gives explicit weights; classes not listed weigh 1.

    Example::

        >>> compute_class_weights(np.array([0, 0, 0, 1]), 2)
        tensor([0.6667, 2.0000])
    """
    labels = y.detach().cpu().numpy() if hasattr(y, "detach") else np.asarray(y)
    labels = labels.astype(np.int64).reshape(-1)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise DataError(
            f"y: label {bad} is outside 0..{num_classes - 1}; allowed: 0..{num_classes - 1}"
        )
    weights = np.ones(num_classes, dtype=np.float64)
    if isinstance(mode, dict):
        for cls, w in mode.items():
            if not 0 <= int(cls) < num_classes:
                raise DataError(
                    f"data.class_weight: class {cls} is not a class of this dataset; allowed: "
                    f"0..{num_classes - 1}"
                )
            weights[int(cls)] = float(w)
    elif mode == "balanced":
        from sklearn.utils.class_weight import compute_class_weight

        present = np.unique(labels)
        if present.size == 0:
            raise DataError("y: no labels; allowed: at least one sample to weigh classes by")
        weights[present] = compute_class_weight("balanced", classes=present, y=labels)
    else:
        raise DataError(
            f"data.class_weight: {mode!r} is not a known mode; allowed: 'balanced' or a dict "
            "{class: weight}"
        )
    return torch.tensor(weights, dtype=torch.float32)
