import torch
from torch import nn

from trainwise.models.mlp import MLP


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_param_count_closed_form_without_norm():
    model = MLP((40,), 10, hidden=(16, 8), norm="none")
    assert n_params(model) == (40 * 16 + 16) + (16 * 8 + 8) + (8 * 10 + 10)


def test_param_count_with_batchnorm():
    model = MLP((40,), 10, hidden=(16, 8), norm="batch")
    # hidden Linear layers lose their bias; each BatchNorm1d adds 2 per unit
    assert n_params(model) == (40 * 16 + 2 * 16) + (16 * 8 + 2 * 8) + (8 * 10 + 10)
    assert isinstance(model.features.norm1, nn.BatchNorm1d)
    assert model.features.dense1.bias is None


def test_flattens_any_input_shape():
    model = MLP((3, 4, 5), 7, hidden=(6,))
    assert model.features.dense1.in_features == 60
    assert model(torch.randn(2, 3, 4, 5)).shape == (2, 7)


def test_empty_hidden_is_logistic_regression():
    model = MLP((1, 40), 10, hidden=())
    assert n_params(model) == 410
    assert [type(m) for m in model.features] == [nn.Flatten]


def test_layer_order_and_dropout_after_each_hidden_layer():
    model = MLP((10,), 2, hidden=(4, 4), activation="tanh", dropout=0.2)
    names = [name for name, _ in model.features.named_children()]
    assert names == [
        "flatten",
        "dense1",
        "norm1",
        "act1",
        "dropout1",
        "dense2",
        "norm2",
        "act2",
        "dropout2",
    ]
    assert isinstance(model.features.act1, nn.Tanh)
    assert model.input_shape == (10,) and model.output_dim == 2
