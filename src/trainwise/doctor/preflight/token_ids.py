"""Are the inputs indices (token or category ids looked up in an embedding table)?

Ids are names, not quantities: their scale, their mean and the distance between two of them
mean nothing, so the checks that read inputs as numbers (``unnormalized_inputs``, the
nearest-neighbour model of ``label_noise``) would only raise false alarms on them. The
evidence asked for is structural, not a guess from the values: the inputs are of an integer
type and the model holds an ``nn.Embedding`` / ``nn.EmbeddingBag`` whose table covers every
id seen (a model whose table is too small for the ids fails on the first batch anyway).
Integer inputs fed to a model without an embedding (counts, raw uint8 pixels cast in
``forward``) are still checked as numbers.

Cost: one max over the inputs, one walk over the model's modules.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from torch import nn

from trainwise.doctor.preflight.arrays import as_array


def are_token_ids(x: Any, model: nn.Module | None) -> bool:
    """True when ``x`` holds integer ids that fit an embedding table of ``model``.

    Example::

        >>> import torch
        >>> model = nn.Sequential(nn.Embedding(100, 8), nn.Flatten(), nn.Linear(40, 2))
        >>> are_token_ids(torch.randint(0, 100, (16, 5)), model)
        True
        >>> are_token_ids(torch.randn(16, 5), model)
        False
    """
    if model is None or x is None:
        return False
    arr = as_array(x, "x_train")
    if arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        return False
    tables = [
        m.num_embeddings for m in model.modules() if isinstance(m, nn.Embedding | nn.EmbeddingBag)
    ]
    return bool(tables) and int(arr.min()) >= 0 and int(arr.max()) < max(tables)
