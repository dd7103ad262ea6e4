"""Residual network, 1-D or 2-D (picked from the input shape).

A residual block computes ``act(body(x) + shortcut(x))``: ``body`` is two :class:`ConvBlock`
units of the chosen design (the second without its final activation), ``shortcut`` is the
identity when the channel count is unchanged and a 1x1 convolution (+ BatchNorm) projection
when it changes. The gradient reaches early layers through the identity paths undamped, which
is why deep residual nets train where plain ones of the same depth stall.

Network: ``stem`` (one plain conv block to ``channels[0]``), then one stage per entry of
``channels`` with ``blocks`` residual blocks each (``stage1``, ...), a 2x pooling after every
``pool_every``-th stage, and the head. Downsampling is done by the pooling layers (the convs
keep stride 1), so the shortcuts only ever project channels.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from torch import Tensor, nn

from trainwise.models.activations import make_activation
from trainwise.models.cnn import per_block
from trainwise.models.conv_block import ConvBlock
from trainwise.models.head import Head
from trainwise.models.input_shape import conv_input
from trainwise.models.layers import add_pool, conv, norm_layer


class ResidualBlock(nn.Module):
    """``act(body(x) + shortcut(x))`` with identity or 1x1-projection shortcut.

    Defaults: ``kernel_size=3``, ``design="plain"``, ``dilation=1``, ``activation="relu"``,
    ``norm="batch"``, ``reduction=4``. Submodules: ``body`` (``unit1``, ``unit2``),
    ``shortcut`` (``nn.Identity`` or ``conv``/``norm``), ``act``.

    >>> import torch
    >>> ResidualBlock(8, 16, dims=1)(torch.zeros(2, 8, 40)).shape
    torch.Size([2, 16, 40])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        dims: int,
        kernel_size: int = 3,
        design: str = "plain",
        dilation: int = 1,
        activation: str = "relu",
        norm: str = "batch",
        reduction: int = 4,
    ):
        super().__init__()
        common = dict(
            dims=dims,
            kernel_size=kernel_size,
            design=design,
            dilation=dilation,
            activation=activation,
            norm=norm,
            reduction=reduction,
        )
        self.body = nn.Sequential(
            OrderedDict(
                unit1=ConvBlock(in_channels, out_channels, **common),
                unit2=ConvBlock(out_channels, out_channels, last_act=False, **common),
            )
        )
        if in_channels == out_channels:
            self.shortcut: nn.Module = nn.Identity()
        else:
            layers: list[tuple[str, nn.Module]] = [
                ("conv", conv(dims, in_channels, out_channels, 1, bias=norm == "none"))
            ]
            norm_mod = norm_layer(norm, dims, out_channels)
            if norm_mod is not None:
                layers.append(("norm", norm_mod))
            self.shortcut = nn.Sequential(OrderedDict(layers))
        self.act = make_activation(activation)
        self.in_channels = in_channels
        self.out_channels = out_channels

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.body(x) + self.shortcut(x))


class ResNet(nn.Module):
    """Stem + stages of residual blocks + pooling + head (raw outputs of shape (N, output_dim)).

    Defaults: ``channels=(16, 32, 32)``, ``blocks=2`` per stage, ``kernel_size=3``,
    ``design="plain"``, ``dilation=1`` (int or one per stage), ``pool="max"``,
    ``pool_every=1``, ``head="gap"``, ``activation="relu"``, ``norm="batch"``,
    ``dropout=0.0``, ``reduction=4``.

    >>> import torch
    >>> ResNet((3, 8, 8), 5, channels=(8, 16), blocks=1)(torch.zeros(2, 3, 8, 8)).shape
    torch.Size([2, 5])
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        output_dim: int,
        *,
        channels: Sequence[int] = (16, 32, 32),
        blocks: int = 2,
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
        in_channels, spatial = conv_input(input_shape, "resnet")
        self.input_shape = (in_channels, *spatial)
        self.output_dim = output_dim
        dims = len(spatial)
        dilations = per_block(dilation, len(channels), "model.dilation")
        # The stem is a plain conv: on a raw few-channel input the saving designs save nothing.
        stem = ConvBlock(
            in_channels,
            channels[0],
            dims=dims,
            kernel_size=kernel_size,
            activation=activation,
            norm=norm,
        )
        layers: list[tuple[str, nn.Module]] = [("stem", stem)]
        c_in = channels[0]
        for i, (c_out, dil) in enumerate(zip(channels, dilations), start=1):
            stage = []
            for b in range(1, blocks + 1):
                block = ResidualBlock(
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
                stage.append((f"block{b}", block))
                c_in = c_out
            layers.append((f"stage{i}", nn.Sequential(OrderedDict(stage))))
            if i % pool_every == 0:
                spatial = add_pool(layers, pool, dims=dims, index=i, spatial=spatial)
        self.features = nn.Sequential(OrderedDict(layers))
        self.head = Head(
            head, channels=c_in, spatial=spatial, output_dim=output_dim, dropout=dropout
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))
