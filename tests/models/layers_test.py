import pytest
import torch
from torch import nn

from trainwise.errors import ModelError
from trainwise.models.layers import (
    CONV_TYPES,
    add_pool,
    batch_norm,
    conv,
    global_avg_pool,
    norm_act,
    norm_layer,
    pool,
    pooled_size,
)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("kernel", [1, 3, 4, 5, 7])
@pytest.mark.parametrize("dilation", [1, 2])
def test_conv_keeps_length(kernel, dilation):
    layer = conv(1, 2, 5, kernel, dilation=dilation)
    assert isinstance(layer, nn.Conv1d)
    assert layer(torch.zeros(3, 2, 11)).shape == (3, 5, 11)


def test_conv_2d_keeps_size_and_supports_rectangular_kernels():
    layer = conv(2, 3, 4, (1, 5))
    assert isinstance(layer, nn.Conv2d)
    assert layer(torch.zeros(2, 3, 6, 7)).shape == (2, 4, 6, 7)


def test_conv_bias_and_groups():
    layer = conv(1, 4, 4, 3, groups=4, bias=False)
    assert layer.bias is None
    assert layer.weight.shape == (4, 1, 3)


def test_unsupported_dims():
    with pytest.raises(ModelError, match="allowed: 1 .*2"):
        conv(3, 1, 1, 3)


def test_norm_layer():
    assert norm_layer("none", 1, 4) is None
    assert isinstance(norm_layer("batch", 1, 4), nn.BatchNorm1d)
    assert isinstance(batch_norm(2, 4), nn.BatchNorm2d)
    with pytest.raises(ModelError, match="model.norm: 'layer'.*allowed: none, batch"):
        norm_layer("layer", 1, 4)


def test_pool_halves_with_ceil_and_never_reaches_zero():
    x = torch.arange(5.0).reshape(1, 1, 5)
    assert pool("max", 1)(x).tolist() == [[[1.0, 3.0, 4.0]]]
    assert pool("avg", 1)(x).tolist() == [[[0.5, 2.5, 4.0]]]  # last window holds one value
    assert pool("none", 1) is None
    one = torch.ones(2, 3, 1, 1)
    assert pool("max", 2)(one).shape == (2, 3, 1, 1)
    assert pooled_size((40,)) == (20,)
    assert pooled_size((5, 1)) == (3, 1)


def test_pool_unknown_kind():
    with pytest.raises(ModelError, match="model.pool: 'min'.*allowed: max, avg, none"):
        pool("min", 1)


def test_add_pool_names_and_sizes():
    layers = []
    assert add_pool(layers, "max", dims=2, index=3, spatial=(7, 8)) == (4, 4)
    assert [name for name, _ in layers] == ["pool3"]
    assert add_pool(layers, "none", dims=2, index=4, spatial=(4, 4)) == (4, 4)
    assert len(layers) == 1


def test_global_avg_pool_is_the_mean():
    x = torch.arange(12.0).reshape(1, 2, 6)
    assert global_avg_pool(1)(x).flatten().tolist() == [2.5, 8.5]


def test_norm_act_names_types_and_omissions():
    layers = norm_act("batch", 2, 6, "gelu", "2")
    assert [(name, type(m)) for name, m in layers] == [("norm2", nn.BatchNorm2d), ("act2", nn.GELU)]
    assert layers[0][1].num_features == 6
    assert [name for name, _ in norm_act("none", 1, 6, "relu")] == ["act"]
    assert norm_act("none", 1, 6, None) == []
    with pytest.raises(ModelError, match="model.norm: 'layer'"):
        norm_act("layer", 1, 6, "relu")


def test_conv_types_cover_every_torch_conv():
    assert isinstance(conv(1, 2, 3, 3), CONV_TYPES)
    assert isinstance(nn.ConvTranspose3d(1, 1, 1), CONV_TYPES)
    assert not isinstance(nn.Linear(2, 2), CONV_TYPES)
