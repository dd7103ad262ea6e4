import pytest
import torch

from trainwise.errors import ModelError
from trainwise.models.inception import InceptionBlock, InceptionNet, branch_design


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_block_closed_form():
    block = InceptionBlock(8, 16, dims=1, norm="none")
    # shares: 4 per branch, reductions to 2 channels; kernels 1, 3, 5 and pool->1x1
    b1 = 8 * 4 + 4
    b2 = (8 * 2 + 2) + (2 * 4 * 3 + 4)
    b3 = (8 * 2 + 2) + (2 * 4 * 5 + 4)
    b4 = 8 * 4 + 4
    assert n_params(block) == b1 + b2 + b3 + b4
    assert block.branch3.conv.conv.kernel_size == (5,)


def test_block_concatenates_branches_in_order():
    torch.manual_seed(0)
    block = InceptionBlock(3, 10, dims=2)
    block.eval()
    x = torch.randn(2, 3, 6, 6)
    out = block(x)
    assert out.shape == (2, 10, 6, 6)  # 10 - 3*2 = 4 for branch1, 2 for each other
    assert torch.allclose(out[:, :4], block.branch1(x))
    assert torch.allclose(out[:, 8:], block.branch4(x))


def test_reduction_left_out_on_raw_input():
    block = InceptionBlock(1, 16, dims=1)
    assert not hasattr(block.branch2, "reduce")
    assert hasattr(InceptionBlock(16, 16, dims=1).branch2, "reduce")


def test_design_in_branches():
    assert branch_design("bottleneck", 3) == "plain"
    assert branch_design("stacked3x3", 3) == "plain"
    assert branch_design("stacked3x3", 5) == "stacked3x3"
    stacked = InceptionBlock(8, 16, dims=2, design="stacked3x3", norm="none")
    assert stacked.branch2.conv.design == "plain"
    assert stacked.branch3.conv.design == "stacked3x3"
    assert stacked.branch3.conv.conv1.kernel_size == (3, 3)
    # the 5x5 branch (2 -> 4 channels) becomes 3x3 2 -> 4 then 3x3 4 -> 4
    b3 = (8 * 2 + 2) + (2 * 4 * 9 + 4) + (4 * 4 * 9 + 4)
    assert n_params(stacked.branch3) == b3
    sep = InceptionBlock(8, 16, dims=1, design="separable")
    assert sep.branch2.conv.design == "separable"


def test_too_few_channels():
    with pytest.raises(ModelError, match="at least 4"):
        InceptionBlock(1, 3, dims=1)


def test_network_shapes():
    model = InceptionNet((1, 40), 10, channels=(8, 16))
    assert [n for n, _ in model.features.named_children()] == ["block1", "pool1", "block2", "pool2"]
    assert model(torch.randn(2, 1, 40)).shape == (2, 10)
