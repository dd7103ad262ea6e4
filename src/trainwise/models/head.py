"""The classifier/regressor head on top of a convolutional feature extractor.

``gap`` (global average pooling) averages each channel over all positions and feeds the
``channels`` numbers to one Linear layer: ``(channels + 1) * output_dim`` weights whatever the
input size. ``flatten`` feeds every position to the Linear layer:
``(channels * positions + 1) * output_dim`` weights, the "dense head" that GAP replaces to save
parameters. Dropout (if ``dropout > 0``) sits right before the Linear layer.
"""

from __future__ import annotations

import math
from collections import OrderedDict

from torch import nn

from trainwise.errors import ModelError
from trainwise.models.layers import global_avg_pool

HEADS = ("gap", "flatten")


class Head(nn.Sequential):
    """Pool or flatten, optional dropout, then ``Linear`` to ``output_dim`` raw outputs (logits).

    ``spatial`` is the feature map's size per channel (needed by ``flatten``); ``dims`` is 1 or
    2. Default ``dropout=0.0`` (no Dropout layer at all). Submodules: ``pool`` (gap only),
    ``flatten``, ``dropout`` (if any), ``linear``.

    >>> import torch
    >>> Head("gap", channels=32, spatial=(5,), output_dim=10)(torch.zeros(2, 32, 5)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        kind: str,
        *,
        channels: int,
        spatial: tuple[int, ...],
        output_dim: int,
        dropout: float = 0.0,
    ):
        layers: list[tuple[str, nn.Module]] = []
        if kind == "gap":
            layers.append(("pool", global_avg_pool(len(spatial))))
            features = channels
        elif kind == "flatten":
            features = channels * math.prod(spatial)
        else:
            raise ModelError(
                f"model.head: {kind!r} is not a known head; allowed: {', '.join(HEADS)}"
            )
        layers.append(("flatten", nn.Flatten()))
        if dropout > 0:
            layers.append(("dropout", nn.Dropout(dropout)))
        layers.append(("linear", nn.Linear(features, output_dim)))
        super().__init__(OrderedDict(layers))
        self.kind = kind
