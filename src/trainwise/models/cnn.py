"""Plain convolutional network, 1-D or 2-D (picked from the input shape).

``features``: one :class:`ConvBlock` per entry of ``channels`` (``block1``, ``block2``, ...),
with a 2x max/avg pooling (``pool1``, ...) after every ``pool_every``-th block; ``head``:
global average pooling or flatten, optional dropout, Linear (the :class:`ConvNet` skeleton).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from trainwise.models.conv_block import ConvBlock
from trainwise.models.conv_net import ConvNet, per_block

__all__ = ["CNN", "per_block"]  # per_block moved to conv_net; still importable from here


class CNN(ConvNet):
    """Conv blocks + pooling + head; ``input_shape`` (C, L) gives a 1-D net, (C, H, W) 2-D.

    Options and defaults as :class:`ConvNet` (``channels=(16, 32, 32)``, ``kernel_size=3``,
    ``design="plain"``, ``dilation=1``, ``pool="max"``, ``pool_every=1``, ``head="gap"``,
    ``activation="relu"``, ``norm="batch"``, ``dropout=0.0``), plus ``reduction=4``
    (bottleneck design). Returns raw outputs of shape (N, output_dim).

    >>> import torch
    >>> CNN((1, 40), 10, channels=(8, 16))(torch.zeros(2, 1, 40)).shape
    torch.Size([2, 10])
    """

    model_name = "cnn"
    stage_name = "block"

    def __init__(
        self, input_shape: Sequence[int], output_dim: int, *, reduction: int = 4, **options: Any
    ):
        # A plain attribute may be set before Module.__init__; make_stage needs it during it.
        self.reduction = reduction
        super().__init__(input_shape, output_dim, **options)

    def make_stage(self, in_channels: int, out_channels: int, **unit: Any) -> nn.Module:
        return ConvBlock(in_channels, out_channels, reduction=self.reduction, **unit)
