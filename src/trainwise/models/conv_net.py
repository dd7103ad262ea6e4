"""The skeleton every conv network here shares, 1-D or 2-D (picked from the input shape).

``features``: an optional ``stem``, then one stage per entry of ``channels`` (``block1``, ...
or ``stage1``, ...), with a 2x max/avg pooling (``pool1``, ...) after every ``pool_every``-th
stage; ``head``: global average pooling or flatten, optional dropout, Linear. The convolutions
keep the spatial size, so only the pooling layers shrink it. A subclass only says what one stage
is (:meth:`ConvNet.make_stage`) and, if it has one, what the stem is (:meth:`ConvNet.make_stem`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from trainwise.errors import ModelError
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


class ConvNet(nn.Module):
    """Stem (optional) + one stage per ``channels`` entry + pooling + head; an abstract base.

    Defaults: ``channels=(16, 32, 32)``, ``kernel_size=3``, ``design="plain"``,
    ``dilation=1`` (int or one per stage), ``pool="max"``, ``pool_every=1``, ``head="gap"``,
    ``activation="relu"``, ``norm="batch"``, ``dropout=0.0`` (before the head's Linear).
    Subclasses set ``model_name`` (named in input-shape errors) and ``stage_name`` (the stage
    prefix) and implement :meth:`make_stage`. Returns raw outputs of shape (N, output_dim).

    >>> import torch
    >>> from trainwise.models.conv_block import ConvBlock
    >>> class Plain(ConvNet):
    ...     def make_stage(self, in_channels, out_channels, **unit):
    ...         return ConvBlock(in_channels, out_channels, **unit)
    >>> Plain((1, 40), 10, channels=(8, 16))(torch.zeros(2, 1, 40)).shape
    torch.Size([2, 10])
    """

    model_name = "cnn"
    stage_name = "block"

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
    ):
        super().__init__()
        in_channels, spatial = conv_input(input_shape, self.model_name)
        self.input_shape = (in_channels, *spatial)
        self.output_dim = output_dim
        dims = len(spatial)
        dilations = per_block(dilation, len(channels), "model.dilation")
        unit: dict[str, Any] = dict(
            dims=dims, kernel_size=kernel_size, design=design, activation=activation, norm=norm
        )
        layers: list[tuple[str, nn.Module]] = []
        c_in = in_channels
        stem = self.make_stem(in_channels, channels, **unit)
        if stem is not None:
            layers.append(("stem", stem))
            c_in = channels[0]
        for i, (c_out, dil) in enumerate(zip(channels, dilations), start=1):
            stage = self.make_stage(c_in, c_out, dilation=dil, **unit)
            layers.append((f"{self.stage_name}{i}", stage))
            if i % pool_every == 0:
                spatial = add_pool(layers, pool, dims=dims, index=i, spatial=spatial)
            c_in = c_out
        self.features = nn.Sequential(OrderedDict(layers))
        self.head = Head(
            head, channels=c_in, spatial=spatial, output_dim=output_dim, dropout=dropout
        )

    def make_stem(self, in_channels: int, channels: Sequence[int], **unit: Any) -> nn.Module | None:
        """The layer before the first stage, from ``in_channels`` to ``channels[0]``; None (the
        default) for no stem. ``unit``: ``dims``, ``kernel_size``, ``design``, ``activation``,
        ``norm``."""
        return None

    def make_stage(self, in_channels: int, out_channels: int, **unit: Any) -> nn.Module:
        """One stage, ``in_channels`` -> ``out_channels`` at the same spatial size. ``unit``:
        ``dims``, ``kernel_size``, ``design``, ``dilation`` (this stage's), ``activation``,
        ``norm``."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_stage")

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))
