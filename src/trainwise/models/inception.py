"""Inception block (GoogLeNet-style) and a network made of them, 1-D or 2-D.

A block runs four branches on the same input and concatenates their channels:

1. 1x1 conv                                   -> ``out - 3 * (out // 4)`` channels
2. 1x1 reduction -> k x k conv                -> ``out // 4``
3. 1x1 reduction -> (k+2) x (k+2) conv        -> ``out // 4`` (k=3: the classic 3x3 and 5x5)
4. 3x3 max pool (stride 1) -> 1x1 conv        -> ``out // 4``

The reductions have ``max(1, (out // 4) // 2)`` channels and are left out where they would
not reduce (input with that many channels or fewer, e.g. the raw 1-channel signal). The
``design`` applies to the k x k convs: ``stacked3x3`` turns a kernel >= 5 into 3x3 stacks (the
classic 5x5 branch becomes two 3x3), ``separable`` makes them depthwise separable,
``asymmetric`` (2-D only) factors them into 1xk + kx1, and ``bottleneck`` is the same as
``plain`` here since every branch already has its 1x1 reduction.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
from torch import Tensor, nn

from trainwise.errors import ModelError
from trainwise.models.conv_block import ConvBlock
from trainwise.models.conv_net import ConvNet


def branch_design(design: str, kernel_size: int) -> str:
    """The design an inception branch uses for its ``kernel_size`` conv (see module doc).

    >>> branch_design("stacked3x3", 3), branch_design("stacked3x3", 5)
    ('plain', 'stacked3x3')
    """
    if design == "bottleneck" or (design == "stacked3x3" and kernel_size < 5):
        return "plain"
    return design


class InceptionBlock(nn.Module):
    """Four parallel branches (1x1; 1x1->kxk; 1x1->(k+2)x(k+2); pool->1x1), concatenated.

    Defaults: ``kernel_size=3``, ``design="plain"``, ``dilation=1``, ``activation="relu"``,
    ``norm="batch"``. ``out_channels`` must be >= 4 (one share per branch). Submodules:
    ``branch1`` .. ``branch4``.

    >>> import torch
    >>> InceptionBlock(1, 16, dims=1)(torch.zeros(2, 1, 40)).shape
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
    ):
        super().__init__()
        if out_channels < 4:
            raise ModelError(
                f"model.channels: {out_channels} is too few for an inception block, which splits "
                "its channels over 4 branches; use at least 4"
            )
        share = out_channels // 4
        reduced = max(1, share // 2)
        unit = dict(dims=dims, activation=activation, norm=norm)

        def reduce_then(kernel: int) -> nn.Sequential:
            layers: list[tuple[str, nn.Module]] = []
            c_in = in_channels
            if reduced < in_channels:
                layers.append(("reduce", ConvBlock(in_channels, reduced, kernel_size=1, **unit)))
                c_in = reduced
            main = ConvBlock(
                c_in,
                share,
                kernel_size=kernel,
                design=branch_design(design, kernel),
                dilation=dilation,
                **unit,
            )
            layers.append(("conv", main))
            return nn.Sequential(OrderedDict(layers))

        pool_cls = nn.MaxPool1d if dims == 1 else nn.MaxPool2d
        self.branch1 = ConvBlock(in_channels, out_channels - 3 * share, kernel_size=1, **unit)
        self.branch2 = reduce_then(kernel_size)
        self.branch3 = reduce_then(kernel_size + 2)
        self.branch4 = nn.Sequential(
            OrderedDict(
                pool=pool_cls(kernel_size=3, stride=1, padding=1),
                proj=ConvBlock(in_channels, share, kernel_size=1, **unit),
            )
        )
        self.in_channels = in_channels
        self.out_channels = out_channels

    def forward(self, x: Tensor) -> Tensor:
        branches = (self.branch1, self.branch2, self.branch3, self.branch4)
        return torch.cat([branch(x) for branch in branches], dim=1)


class InceptionNet(ConvNet):
    """One :class:`InceptionBlock` per entry of ``channels`` (``block1``, ...), 2x pooling
    after every ``pool_every``-th block, then the head; raw outputs of shape (N, output_dim).

    Options and defaults as :class:`ConvNet` (``channels=(16, 32, 32)``, ``kernel_size=3``,
    ``design="plain"``, ``dilation=1``, ``pool="max"``, ``pool_every=1``, ``head="gap"``,
    ``activation="relu"``, ``norm="batch"``, ``dropout=0.0``).

    >>> import torch
    >>> InceptionNet((1, 40), 10, channels=(16, 32))(torch.zeros(2, 1, 40)).shape
    torch.Size([2, 10])
    """

    model_name = "inception"
    stage_name = "block"

    def make_stage(self, in_channels: int, out_channels: int, **unit: Any) -> nn.Module:
        return InceptionBlock(in_channels, out_channels, **unit)
