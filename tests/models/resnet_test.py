import pytest
import torch
from torch import nn

from trainwise.errors import ModelError
from trainwise.models.resnet import ResidualBlock, ResNet


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_identity_shortcut_when_channels_match():
    block = ResidualBlock(8, 8, dims=1, norm="none")
    assert isinstance(block.shortcut, nn.Identity)
    assert n_params(block) == 2 * (8 * 8 * 3 + 8)


def test_projection_shortcut_when_channels_change():
    block = ResidualBlock(4, 8, dims=2, norm="batch")
    assert isinstance(block.shortcut.conv, nn.Conv2d)
    assert block.shortcut.conv.kernel_size == (1, 1)
    assert isinstance(block.shortcut.norm, nn.BatchNorm2d)
    expected = (4 * 8 * 9 + 16) + (8 * 8 * 9 + 16) + (4 * 8 + 16)
    assert n_params(block) == expected


def test_block_adds_the_shortcut():
    torch.manual_seed(0)
    block = ResidualBlock(3, 3, dims=1, norm="none", activation="tanh")
    x = torch.randn(2, 3, 10)
    assert torch.allclose(block(x), torch.tanh(block.body(x) + x))
    # zero body -> the block passes act(x) through: the identity path carries the signal
    for p in block.body.parameters():
        torch.nn.init.zeros_(p)
    assert torch.allclose(block(x), torch.tanh(x))


def test_second_unit_has_no_activation_before_the_sum():
    block = ResidualBlock(4, 4, dims=1)
    assert [n for n, _ in block.body.unit2.named_children()] == ["conv", "norm"]


def test_network_closed_form():
    model = ResNet((1, 8), 10, channels=(4, 8), blocks=1, norm="none")
    stem = 1 * 4 * 3 + 4
    stage1 = 2 * (4 * 4 * 3 + 4)
    stage2 = (4 * 8 * 3 + 8) + (8 * 8 * 3 + 8) + (4 * 8 + 8)
    head = 8 * 10 + 10
    assert n_params(model) == stem + stage1 + stage2 + head
    names = [name for name, _ in model.features.named_children()]
    assert names == ["stem", "stage1", "pool1", "stage2", "pool2"]


def test_blocks_per_stage():
    model = ResNet((1, 40), 3, channels=(4, 8), blocks=3)
    assert len(model.features.stage1) == 3 and len(model.features.stage2) == 3
    assert isinstance(model.features.stage2.block1.shortcut, nn.Sequential)
    assert isinstance(model.features.stage2.block2.shortcut, nn.Identity)
    assert model(torch.randn(2, 1, 40)).shape == (2, 3)


def test_projection_shortcut_without_norm_has_a_bias():
    block = ResidualBlock(4, 8, dims=1, norm="none")
    assert [n for n, _ in block.shortcut.named_children()] == ["conv"]
    assert block.shortcut.conv.bias is not None


def test_options_reach_both_units():
    block = ResidualBlock(8, 8, dims=1, design="bottleneck", reduction=2, dilation=2)
    for unit in (block.body.unit1, block.body.unit2):
        assert unit.design == "bottleneck"
        assert unit.reduce.out_channels == 4
        assert unit.conv.dilation == (2,)


def test_blocks_must_be_positive():
    with pytest.raises(ModelError, match="model.blocks: 0 is not allowed"):
        ResNet((1, 40), 3, blocks=0)
