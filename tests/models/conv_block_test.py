import pytest
import torch
from torch import nn

from trainwise.errors import ModelError
from trainwise.models.conv_block import DESIGNS, ConvBlock, bottleneck_width, stacked_depth


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def block(cin, cout, dims=2, **kw):
    kw.setdefault("norm", "none")
    return ConvBlock(cin, cout, dims=dims, **kw)


def test_plain_closed_form():
    assert n_params(block(4, 8, dims=1)) == 4 * 8 * 3 + 8
    assert n_params(block(4, 8, dims=2)) == 4 * 8 * 9 + 8
    # BatchNorm: conv loses its bias, the norm adds scale and shift per channel.
    assert n_params(block(4, 8, dims=2, norm="batch")) == 4 * 8 * 9 + 2 * 8


def test_separable_on_the_raw_input_is_a_full_conv_stem():
    stem = block(1, 16, design="separable")  # a depthwise conv over 1 channel: 1 filter
    assert [n for n, _ in stem.named_children()][0] == "conv"
    assert n_params(stem) == n_params(block(1, 16, design="plain"))
    assert "depthwise" in dict(block(4, 16, design="separable").named_children())


def test_separable_closed_form_and_saving():
    sep = block(8, 16, design="separable")
    assert n_params(sep) == (8 * 9 + 8) + (8 * 16 + 16)
    assert n_params(sep) < n_params(block(8, 16))
    assert n_params(block(8, 16, design="separable", norm="batch")) == 8 * 9 + 16 + 8 * 16 + 32
    assert sep.depthwise.groups == 8


def test_bottleneck_closed_form():
    neck = block(32, 32, design="bottleneck")  # reduction 4 -> 8 channels
    assert bottleneck_width(32, 4) == 8
    assert n_params(neck) == (32 * 8 + 8) + (8 * 32 * 9 + 32)
    assert n_params(neck) < n_params(block(32, 32))
    assert n_params(block(32, 32, design="bottleneck", reduction=2)) == (32 * 16 + 16) + (
        16 * 32 * 9 + 32
    )


def test_bottleneck_skips_a_reduction_that_saves_nothing():
    neck = block(1, 16, dims=1, design="bottleneck")
    assert not hasattr(neck, "reduce")
    assert n_params(neck) == n_params(block(1, 16, dims=1))


def test_stacked3x3_replaces_5x5_with_fewer_params():
    stacked = block(16, 16, kernel_size=5, design="stacked3x3")
    assert stacked_depth(5) == 2
    assert n_params(stacked) == 2 * (16 * 16 * 9 + 16)
    assert n_params(block(16, 16, kernel_size=5)) == 16 * 16 * 25 + 16
    assert n_params(stacked) < n_params(block(16, 16, kernel_size=5))
    seven = block(16, 16, kernel_size=7, design="stacked3x3")
    assert [name for name, _ in seven.named_children() if name.startswith("conv")] == [
        "conv1",
        "conv2",
        "conv3",
    ]
    assert n_params(seven) < n_params(block(16, 16, kernel_size=7))


def test_stacked3x3_matches_receptive_field():
    # An impulse spreads over exactly the receptive field: 2 stacked 3x3 see 5 positions.
    torch.manual_seed(0)
    stacked = block(1, 1, dims=1, kernel_size=5, design="stacked3x3", activation="tanh")
    x = torch.zeros(1, 1, 21, requires_grad=True)
    stacked(x)[0, 0, 10].backward()
    assert torch.nonzero(x.grad[0, 0]).flatten().tolist() == [8, 9, 10, 11, 12]


def test_asymmetric_closed_form_2d_and_rejected_1d():
    asym = block(16, 16, design="asymmetric")
    assert asym.conv1xk.kernel_size == (1, 3) and asym.convkx1.kernel_size == (3, 1)
    assert n_params(asym) == 2 * (16 * 16 * 3 + 16)
    assert n_params(asym) < n_params(block(16, 16))
    with pytest.raises(ModelError, match="'asymmetric'.*needs 2-D inputs"):
        block(4, 4, dims=1, design="asymmetric")


@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("dims", [1, 2])
def test_every_design_keeps_spatial_size(design, dims):
    if design == "asymmetric" and dims == 1:
        with pytest.raises(ModelError):
            ConvBlock(3, 6, dims=dims, design=design)
        return
    layer = ConvBlock(3, 6, dims=dims, design=design, kernel_size=5)
    x = torch.randn(2, 3, *([9] * dims))
    assert layer(x).shape == (2, 6, *([9] * dims))


def test_norm_and_activation_after_every_conv_and_last_act_switch():
    full = ConvBlock(4, 8, dims=1, design="separable", activation="gelu")
    names = [name for name, _ in full.named_children()]
    assert names == ["depthwise", "norm1", "act1", "pointwise", "norm2", "act2"]
    assert full.depthwise.bias is None  # BatchNorm follows
    open_end = ConvBlock(4, 8, dims=1, last_act=False)
    assert [name for name, _ in open_end.named_children()] == ["conv", "norm"]
    assert isinstance(full.act1, nn.GELU)


def test_dilation_is_applied():
    layer = ConvBlock(2, 2, dims=1, dilation=3)
    assert layer.conv.dilation == (3,)


def test_unknown_design():
    with pytest.raises(ModelError, match="model.design: 'fancy'.*allowed: plain, stacked3x3"):
        ConvBlock(1, 2, dims=1, design="fancy")
