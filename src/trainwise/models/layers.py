"""Small factories for the N-d layers every model shares: convolution, batch norm, pooling, and
the norm + activation that follow every weighted layer.

The models work in 1-D and 2-D; these pick ``Conv1d``/``Conv2d`` (and friends) from ``dims``
so the block code is written once. All convolutions here keep the spatial size ("same"
padding), so short signals such as MNIST-1D's 40 samples are not shrunk away; downsampling is
done only by the explicit pooling layers.
"""

from __future__ import annotations

import math

from torch import nn

from trainwise.errors import ModelError
from trainwise.models.activations import make_activation

_CONV = {1: nn.Conv1d, 2: nn.Conv2d}
_BATCH_NORM = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d}
_MAX_POOL = {1: nn.MaxPool1d, 2: nn.MaxPool2d}
_AVG_POOL = {1: nn.AvgPool1d, 2: nn.AvgPool2d}
_GLOBAL_AVG_POOL = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d}

# Every torch convolution class (1-3 d, plain and transposed): the layers with a conv kernel.
CONV_TYPES = (
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
)

POOLS = ("max", "avg", "none")
NORMS = ("none", "batch")


def _check_dims(dims: int) -> None:
    if dims not in _CONV:
        raise ModelError(f"dims: {dims!r} is not supported; allowed: 1 (signals), 2 (images)")


def conv(
    dims: int,
    in_channels: int,
    out_channels: int,
    kernel_size: int | tuple[int, ...],
    *,
    dilation: int = 1,
    groups: int = 1,
    bias: bool = True,
) -> nn.Module:
    """A stride-1 ``Conv{dims}d`` with "same" padding (output keeps the input's spatial size).

    Defaults: ``dilation=1``, ``groups=1``, ``bias=True``. Even kernel sizes work too (torch
    pads one side more, at the cost of a padded copy of the input).

    >>> import torch
    >>> conv(1, 1, 8, 3)(torch.zeros(2, 1, 40)).shape
    torch.Size([2, 8, 40])
    """
    _check_dims(dims)
    return _CONV[dims](
        in_channels,
        out_channels,
        kernel_size,
        padding="same",
        dilation=dilation,
        groups=groups,
        bias=bias,
    )


def batch_norm(dims: int, channels: int) -> nn.Module:
    """``BatchNorm1d``/``BatchNorm2d`` over ``channels`` (``dims`` 1 also serves (N, F) inputs).

    >>> type(batch_norm(2, 16)).__name__
    'BatchNorm2d'
    """
    _check_dims(dims)
    return _BATCH_NORM[dims](channels)


def norm_layer(kind: str, dims: int, channels: int) -> nn.Module | None:
    """The normalisation layer for ``kind`` ("batch" or "none"), or None for "none".

    >>> norm_layer("none", 1, 8) is None
    True
    """
    if kind == "none":
        return None
    if kind == "batch":
        return batch_norm(dims, channels)
    raise ModelError(f"model.norm: {kind!r} is not a known norm; allowed: {', '.join(NORMS)}")


def norm_act(
    norm: str, dims: int, channels: int, activation: str | None, suffix: str = ""
) -> list[tuple[str, nn.Module]]:
    """The named layers that follow a conv or Linear layer with ``channels`` outputs:
    ``norm{suffix}`` (see :func:`norm_layer`; none for "none") then ``act{suffix}`` (none when
    ``activation`` is None, e.g. before a residual sum). Default ``suffix=""``.

    >>> [name for name, _ in norm_act("batch", 1, 8, "relu", "2")]
    ['norm2', 'act2']
    """
    layers: list[tuple[str, nn.Module]] = []
    norm_mod = norm_layer(norm, dims, channels)
    if norm_mod is not None:
        layers.append((f"norm{suffix}", norm_mod))
    if activation is not None:
        layers.append((f"act{suffix}", make_activation(activation)))
    return layers


def pool(kind: str, dims: int) -> nn.Module | None:
    """A 2x downsampling layer: "max" or "avg" pooling, or None for "none".

    ``ceil_mode=True`` keeps a trailing odd sample (40 -> 20 -> 10 -> 5 -> 3 -> 2 -> 1 -> 1), so
    a deep stack never shrinks a short signal to zero length; a size-1 axis stays size 1.

    >>> import torch
    >>> pool("max", 1)(torch.zeros(2, 4, 5)).shape
    torch.Size([2, 4, 3])
    """
    _check_dims(dims)
    if kind == "none":
        return None
    if kind == "max":
        return _MAX_POOL[dims](kernel_size=2, stride=2, ceil_mode=True)
    if kind == "avg":
        return _AVG_POOL[dims](kernel_size=2, stride=2, ceil_mode=True)
    raise ModelError(f"model.pool: {kind!r} is not a known pooling; allowed: {', '.join(POOLS)}")


def pooled_size(size: tuple[int, ...]) -> tuple[int, ...]:
    """Spatial size after one :func:`pool` layer (ceil of half on every axis).

    >>> pooled_size((5, 1))
    (3, 1)
    """
    return tuple(math.ceil(s / 2) for s in size)


def global_avg_pool(dims: int) -> nn.Module:
    """``AdaptiveAvgPool{dims}d(1)``: averages every channel over all positions.

    >>> import torch
    >>> global_avg_pool(2)(torch.ones(2, 3, 4, 4)).shape
    torch.Size([2, 3, 1, 1])
    """
    _check_dims(dims)
    return _GLOBAL_AVG_POOL[dims](1)


def add_pool(
    layers: list[tuple[str, nn.Module]],
    kind: str,
    *,
    dims: int,
    index: int,
    spatial: tuple[int, ...],
) -> tuple[int, ...]:
    """Append ``("pool{index}", pool(kind, dims))`` to ``layers`` unless ``kind`` is "none";
    return the spatial size after it.

    >>> layers = []
    >>> add_pool(layers, "avg", dims=1, index=1, spatial=(40,)), [name for name, _ in layers]
    ((20,), ['pool1'])
    """
    layer = pool(kind, dims)
    if layer is None:
        return spatial
    layers.append((f"pool{index}", layer))
    return pooled_size(spatial)
