"""Residual network, 1-D or 2-D (picked from the input shape).

A residual block computes ``act(body(x) + shortcut(x))``: ``body`` is two :class:`ConvBlock`
units of the chosen design (the second without its final activation), ``shortcut`` is the
identity when the channel count is unchanged and a 1x1 convolution (+ BatchNorm) projection
(a 1x1 :class:`ConvBlock` without activation) when it changes. The gradient reaches early layers through the identity paths undamped, which
is why deep residual nets train where plain ones of the same depth stall.

Network: ``stem`` (one plain conv block to ``channels[0]``), then one stage per entry of
``channels`` with ``blocks`` residual blocks each (``stage1``, ...), a 2x pooling after every
``pool_every``-th stage, and the head. Downsampling is done by the pooling layers (the convs
keep stride 1), so the shortcuts only ever project channels.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from trainwise.errors import ModelError
from trainwise.models.activations import make_activation
from trainwise.models.conv_block import ConvBlock
from trainwise.models.conv_net import ConvNet


class ResidualBlock(nn.Module):
    """``act(body(x) + shortcut(x))`` with identity or 1x1-projection shortcut.

    Defaults: ``activation="relu"``, ``norm="batch"``; ``**options`` (``kernel_size=3``,
    ``design="plain"``, ``dilation=1``, ``reduction=4``) go to both body units, with the
    defaults of :class:`ConvBlock`. Submodules: ``body`` (``unit1``, ``unit2``), ``shortcut``
    (``nn.Identity`` or a 1x1 :class:`ConvBlock` without activation: ``conv``/``norm``), ``act``.

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
        activation: str = "relu",
        norm: str = "batch",
        **options: Any,
    ):
        super().__init__()
        unit = dict(dims=dims, activation=activation, norm=norm, **options)
        self.body = nn.Sequential(
            OrderedDict(
                unit1=ConvBlock(in_channels, out_channels, **unit),
                unit2=ConvBlock(out_channels, out_channels, last_act=False, **unit),
            )
        )
        if in_channels == out_channels:
            self.shortcut: nn.Module = nn.Identity()
        else:
            self.shortcut = ConvBlock(
                in_channels, out_channels, dims=dims, kernel_size=1, norm=norm, last_act=False
            )
        self.act = make_activation(activation)
        self.in_channels = in_channels
        self.out_channels = out_channels

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.body(x) + self.shortcut(x))


class ResNet(ConvNet):
    """Stem + stages of residual blocks + pooling + head (raw outputs of shape (N, output_dim)).

    Options and defaults as :class:`ConvNet` (``channels=(16, 32, 32)``, ``kernel_size=3``,
    ``design="plain"``, ``dilation=1`` (int or one per stage), ``pool="max"``,
    ``pool_every=1``, ``head="gap"``, ``activation="relu"``, ``norm="batch"``,
    ``dropout=0.0``), plus ``blocks=2`` per stage (>= 1) and ``reduction=4``.

    >>> import torch
    >>> ResNet((3, 8, 8), 5, channels=(8, 16), blocks=1)(torch.zeros(2, 3, 8, 8)).shape
    torch.Size([2, 5])
    """

    model_name = "resnet"
    stage_name = "stage"

    def __init__(
        self,
        input_shape: Sequence[int],
        output_dim: int,
        *,
        blocks: int = 2,
        reduction: int = 4,
        **options: Any,
    ):
        if isinstance(blocks, bool) or not isinstance(blocks, int) or blocks < 1:
            raise ModelError(f"model.blocks: {blocks!r} is not allowed; it must be an int >= 1")
        # Plain attributes may be set before Module.__init__; make_stage needs them during it.
        self.blocks = blocks
        self.reduction = reduction
        super().__init__(input_shape, output_dim, **options)

    def make_stem(self, in_channels: int, channels: Sequence[int], **unit: Any) -> nn.Module:
        # The stem is a plain conv: on a raw few-channel input the saving designs save nothing.
        return ConvBlock(in_channels, channels[0], **{**unit, "design": "plain"})

    def make_stage(self, in_channels: int, out_channels: int, **unit: Any) -> nn.Module:
        blocks = []
        for b in range(1, self.blocks + 1):
            c_in = in_channels if b == 1 else out_channels
            block = ResidualBlock(c_in, out_channels, reduction=self.reduction, **unit)
            blocks.append((f"block{b}", block))
        return nn.Sequential(OrderedDict(blocks))
