import pytest
import torch
from torch import nn

from trainwise.errors import ModelError
from trainwise.models.cnn import CNN, per_block


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_default_on_mnist1d_shape_closed_form():
    model = CNN((1, 40), 10)
    # blocks: conv weights (no bias under BatchNorm) + 2 per BN channel; head Linear(32, 10)
    expected = (1 * 16 * 3 + 32) + (16 * 32 * 3 + 64) + (32 * 32 * 3 + 64) + (32 * 10 + 10)
    assert n_params(model) == expected == 5146
    assert model(torch.randn(4, 1, 40)).shape == (4, 10)


def test_structure_names_and_pooling():
    model = CNN((1, 40), 10, channels=(8, 16, 16))
    names = [name for name, _ in model.features.named_children()]
    assert names == ["block1", "pool1", "block2", "pool2", "block3", "pool3"]
    assert model.features(torch.zeros(2, 1, 40)).shape == (2, 16, 5)


def test_pool_every_and_none():
    model = CNN((1, 40), 3, channels=(4, 4, 4, 4), pool_every=2)
    assert [n for n, _ in model.features.named_children() if n.startswith("pool")] == [
        "pool2",
        "pool4",
    ]
    assert model.features(torch.zeros(2, 1, 40)).shape == (2, 4, 10)
    flat = CNN((1, 40), 3, channels=(4, 4), pool="none", head="flatten")
    assert not any(isinstance(m, nn.MaxPool1d) for m in flat.modules())
    assert flat.head.linear.in_features == 4 * 40


def test_flatten_head_size_follows_pooling_2d():
    model = CNN((3, 9, 7), 5, channels=(4, 6), head="flatten", norm="none")
    # 9x7 -> 5x4 -> 3x2 (ceil halving)
    assert model.head.linear.in_features == 6 * 3 * 2
    assert model(torch.randn(2, 3, 9, 7)).shape == (2, 5)


def test_deep_stack_does_not_shrink_short_signal_away():
    model = CNN((1, 12), 2, channels=(4,) * 8, head="flatten")
    assert model.features(torch.zeros(2, 1, 12)).shape == (2, 4, 1)
    assert model(torch.zeros(2, 1, 12)).shape == (2, 2)


def test_dilation_per_block():
    model = CNN((1, 40), 2, channels=(4, 4, 4), dilation=[1, 2, 4])
    assert [getattr(model.features, f"block{i}").conv.dilation[0] for i in (1, 2, 3)] == [1, 2, 4]
    with pytest.raises(
        ModelError, match="model.dilation: \\[1, 2\\] has 2 entries but there are 3"
    ):
        CNN((1, 40), 2, channels=(4, 4, 4), dilation=[1, 2])
    assert per_block(2, 3, "x") == [2, 2, 2]


def test_flat_input_rejected():
    with pytest.raises(ModelError, match="model.name=mlp"):
        CNN((40,), 10)
