"""Plain convolutional network, 1-D or 2-D (picked from the input shape).

``features``: one :class:`ConvBlock` per entry of ``channels`` (``block1``, ``block2``, ...),
with a 2x max/avg pooling (``pool1``, ...) after every ``pool_every``-th block; ``head``:
global average pooling or flatten, optional dropout, Linear. Convolutions keep the spatial
size, so only the pooling layers shrink it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from torch import Tensor, nn

from trainwise.errors import ModelError
from trainwise.models.conv_block import ConvBlock
from trainwise.models.head import Head
from trainwise.models.input_shape import conv_input
from trainwise.models.layers import add_pool


def per_block(value: int | Sequence[int], count: int, field: str) -> list[int]:
    """``value`` repeated ``count`` times, or the list itself if it already has ``count`` entries.

    >>> per_block(2, 3, "model.dilation")
    [2, 2, 2]
    """
    if isinstance(value, int):
        return [value] * count
    values = list(value)
    if len(values) != count:
        raise ModelError(
            f"{field}: {values!r} has {len(values)} entries but there are {count} blocks "
            f"(one per model.channels entry); give one int or {count} ints"
        )
    return values


class CNN(nn.Module):
    """Conv blocks + pooling + head; ``input_shape`` (C, L) gives a 1-D net, (C, H, W) 2-D.

    Defaults: ``channels=(16, 32, 32)``, ``kernel_size=3``, ``design="plain"``,
    ``dilation=1`` (int or one per block), ``pool="max"``, ``pool_every=1``, ``head="gap"``,
    ``activation="relu"``, ``norm="batch"``, ``dropout=0.0`` (before the head's Linear),
    ``reduction=4`` (bottleneck design). Returns raw outputs of shape (N, output_dim).

    >>> import torch
    >>> CNN((1, 40), 10, channels=(8, 16))(torch.zeros(2, 1, 40)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        output_dim: int,
        *,
        channels: Sequence[int] = (16, 32, 32),
        kernel_size: int = 3,
        design: str = "plain",
        dilation: int | Sequence[int] = 1,
        pool: str = "max",
        pool_every: int = 1,
        head: str = "gap",
        activation: str = "relu",
        norm: str = "batch",
        dropout: float = 0.0,
        reduction: int = 4,
    ):
        super().__init__()
        in_channels, spatial = conv_input(input_shape, "cnn")
        self.input_shape = (in_channels, *spatial)
        self.output_dim = output_dim
        dims = len(spatial)
        dilations = per_block(dilation, len(channels), "model.dilation")
        layers: list[tuple[str, nn.Module]] = []
        c_in = in_channels
        for i, (c_out, dil) in enumerate(zip(channels, dilations), start=1):
            block = ConvBlock(
                c_in,
                c_out,
                dims=dims,
                kernel_size=kernel_size,
                design=design,
                dilation=dil,
                activation=activation,
                norm=norm,
                reduction=reduction,
            )
            layers.append((f"block{i}", block))
            if i % pool_every == 0:
                spatial = add_pool(layers, pool, dims=dims, index=i, spatial=spatial)
            c_in = c_out
        self.features = nn.Sequential(OrderedDict(layers))
        self.head = Head(
            head, channels=c_in, spatial=spatial, output_dim=output_dim, dropout=dropout
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))
