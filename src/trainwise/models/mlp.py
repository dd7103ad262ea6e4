"""Multi-layer perceptron: flatten, then Dense -> [BatchNorm] -> activation -> [Dropout] per
hidden width, then a Linear layer to the raw outputs.

Weights: ``sum(in_i * out_i + out_i)`` over the Linear layers; with ``norm="batch"`` the hidden
Linear layers drop their bias (BatchNorm's shift replaces it) and each BatchNorm adds
``2 * width``. ``hidden=[]`` gives a linear (logistic-regression) model.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

from torch import Tensor, nn

from trainwise.models.input_shape import normalize_shape
from trainwise.models.layers import norm_act


class MLP(nn.Module):
    """A fully connected network on any input shape (it is flattened first).

    Defaults: ``hidden=(128, 128)``, ``activation="relu"``, ``norm="batch"``,
    ``dropout=0.0`` (a Dropout after every hidden activation when > 0). Submodules:
    ``features`` (``flatten``, ``dense1``, ``norm1``, ``act1``, ``dropout1``, ...) and ``head``
    (the last Linear). Returns raw outputs of shape (N, output_dim).

    >>> import torch
    >>> MLP((1, 40), 10, hidden=(64,))(torch.zeros(2, 1, 40)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        output_dim: int,
        *,
        hidden: Sequence[int] = (128, 128),
        activation: str = "relu",
        norm: str = "batch",
        dropout: float = 0.0,
    ):
        super().__init__()
        self.input_shape = normalize_shape(input_shape)
        self.output_dim = output_dim
        layers: list[tuple[str, nn.Module]] = [("flatten", nn.Flatten())]
        width = math.prod(self.input_shape)
        for i, out in enumerate(hidden, start=1):
            # No bias under BatchNorm: its shift makes one redundant.
            layers.append((f"dense{i}", nn.Linear(width, out, bias=norm == "none")))
            layers += norm_act(norm, 1, out, activation, str(i))
            if dropout > 0:
                layers.append((f"dropout{i}", nn.Dropout(dropout)))
            width = out
        self.features = nn.Sequential(OrderedDict(layers))
        self.head = nn.Linear(width, output_dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))
