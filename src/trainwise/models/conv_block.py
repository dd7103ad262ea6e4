"""One convolution block in any of the parameter-saving designs of the source material.

Every convolution in a block is followed by its norm (if any) and the activation, and keeps the
spatial size ("same" padding, stride 1). With ``norm="batch"`` the convolutions have no bias,
since BatchNorm's shift makes it redundant (saves ``out_channels`` parameters per conv).

Weights per block, for ``in`` -> ``out`` channels, kernel ``k``, ``d`` spatial dims, no norm
(biases included); with BatchNorm drop the conv biases and add ``2 * channels`` per norm:

===========  ========================================================  =======================
design       layers                                                    weights (no biases)
===========  ========================================================  =======================
plain        k^d conv in->out                                          in*out*k^d
stacked3x3   n = max(2, (k-1)//2) 3^d convs in->out->...->out           3^d*out*(in+(n-1)*out)
             (two 3x3 see what one 5x5 sees; k=7: three)
bottleneck   1^d conv in->m, m = max(1, in // reduction), then k^d m->out  in*m + m*out*k^d
             (the 1x1 reduction, from Network-in-Network; skipped when m == in since it
             would save nothing)
asymmetric   1xk conv in->out then kx1 conv out->out (2-D only)         k*out*(in+out)
separable    depthwise k^d conv (groups=in) then 1^d pointwise in->out  in*k^d + in*out
             (a full k^d conv when in <= 3: the stem on the raw input)
===========  ========================================================  =======================

``asymmetric`` is rejected for 1-D inputs: a 1-D kernel is already "1xn", so there is nothing
to factor. ``stacked3x3`` and ``asymmetric`` save parameters when ``in`` is close to ``out``
(the source's setting); on a 1-channel raw input their second conv costs more than it saves.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from trainwise.errors import ModelError
from trainwise.models.layers import conv, norm_act

DESIGNS = ("plain", "stacked3x3", "bottleneck", "asymmetric", "separable")
#: a separable block on this few input channels (the raw input: 1 for a signal, 3 for RGB) is a
#: full conv instead, as MobileNet's stem is
STEM_CHANNELS = 3


def stacked_depth(kernel_size: int) -> int:
    """How many 3x3 convs ``stacked3x3`` uses for ``kernel_size``: the stack whose receptive
    field matches it, ``(k - 1) // 2``, and at least two (k=3 gives the source's "two 3x3
    instead of one 5x5").

    >>> [stacked_depth(k) for k in (3, 5, 7, 9)]
    [2, 2, 3, 4]
    """
    return max(2, (kernel_size - 1) // 2)


def bottleneck_width(in_channels: int, reduction: int) -> int:
    """Channels after the 1x1 reduction of the ``bottleneck`` design: ``in // reduction``, >= 1.

    >>> bottleneck_width(64, 4)
    16
    """
    return max(1, in_channels // reduction)


class ConvBlock(nn.Sequential):
    """Convolution(s) + norm + activation in one of :data:`DESIGNS`.

    Defaults: ``kernel_size=3``, ``design="plain"``, ``dilation=1``, ``activation="relu"``,
    ``norm="batch"``, ``reduction=4`` (bottleneck), ``last_act=True`` (False leaves the last
    activation out, for residual blocks that add the shortcut first). Submodules are named
    ``conv``/``norm``/``act`` for a single conv and ``conv1``, ``norm1``, ``act1``, ... (or
    ``reduce``/``conv``, ``depthwise``/``pointwise``, ``conv1xk``/``convkx1``) otherwise.

    >>> import torch
    >>> block = ConvBlock(8, 16, dims=1, design="separable")
    >>> block(torch.zeros(2, 8, 40)).shape
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
        last_act: bool = True,
    ):
        bias = norm == "none"
        k = kernel_size
        if design == "plain":
            convs = [
                ("conv", conv(dims, in_channels, out_channels, k, dilation=dilation, bias=bias))
            ]
        elif design == "stacked3x3":
            convs, c_in = [], in_channels
            for i in range(stacked_depth(k)):
                layer = conv(dims, c_in, out_channels, 3, dilation=dilation, bias=bias)
                convs.append((f"conv{i + 1}", layer))
                c_in = out_channels
        elif design == "bottleneck":
            mid = bottleneck_width(in_channels, reduction)
            if mid < in_channels:
                convs = [
                    ("reduce", conv(dims, in_channels, mid, 1, bias=bias)),
                    ("conv", conv(dims, mid, out_channels, k, dilation=dilation, bias=bias)),
                ]
            else:  # a 1x1 "reduction" to as many channels would only add weights
                convs = [
                    ("conv", conv(dims, in_channels, out_channels, k, dilation=dilation, bias=bias))
                ]
        elif design == "asymmetric":
            if dims != 2:
                raise ModelError(
                    "model.design: 'asymmetric' (a 1xn conv then an nx1 conv) needs 2-D inputs "
                    "(C, H, W); a 1-D kernel is already 1xn, so there is nothing to factor. "
                    "Use design=plain, separable, bottleneck or stacked3x3 for 1-D signals"
                )
            convs = [
                (
                    "conv1xk",
                    conv(2, in_channels, out_channels, (1, k), dilation=dilation, bias=bias),
                ),
                (
                    "convkx1",
                    conv(2, out_channels, out_channels, (k, 1), dilation=dilation, bias=bias),
                ),
            ]
        elif design == "separable" and in_channels <= STEM_CHANNELS:
            # a depthwise conv over 1-3 raw input channels is 1-3 filters in all, which the
            # pointwise conv can only mix: the net sees one 5-tap view of a 1-channel signal
            # (MNIST-1D: -11 points). Like MobileNet's stem, this block is a full conv.
            convs = [
                ("conv", conv(dims, in_channels, out_channels, k, dilation=dilation, bias=bias))
            ]
        elif design == "separable":
            convs = [
                (
                    "depthwise",
                    conv(
                        dims,
                        in_channels,
                        in_channels,
                        k,
                        dilation=dilation,
                        groups=in_channels,
                        bias=bias,
                    ),
                ),
                ("pointwise", conv(dims, in_channels, out_channels, 1, bias=bias)),
            ]
        else:
            raise ModelError(
                f"model.design: {design!r} is not a known design; allowed: {', '.join(DESIGNS)}"
            )

        layers: list[tuple[str, nn.Module]] = []
        for i, (name, layer) in enumerate(convs):
            suffix = "" if len(convs) == 1 else str(i + 1)
            act = activation if last_act or i < len(convs) - 1 else None
            layers += [(name, layer), *norm_act(norm, dims, layer.out_channels, act, suffix)]
        super().__init__(OrderedDict(layers))
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.design = design
