import pytest
import torch
from torch import nn

from trainwise.errors import ConfigError
from trainwise.models.activations import activation_names, canonical_activation, make_activation


def test_registry_lists_the_six_activations_in_order():
    assert activation_names() == ["relu", "leaky_relu", "selu", "gelu", "tanh", "sigmoid"]


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("relu", nn.ReLU),
        ("leaky_relu", nn.LeakyReLU),
        ("selu", nn.SELU),
        ("gelu", nn.GELU),
        ("tanh", nn.Tanh),
        ("sigmoid", nn.Sigmoid),
    ],
)
def test_each_name_builds_torch_module(name, cls):
    module = make_activation(name)
    assert type(module) is cls
    assert make_activation(name) is not module  # a fresh module per call


def test_values_match_closed_forms():
    x = torch.tensor([-2.0, 0.0, 3.0])
    assert make_activation("relu")(x).tolist() == [0.0, 0.0, 3.0]
    assert torch.allclose(make_activation("leaky_relu")(x), torch.tensor([-0.02, 0.0, 3.0]))
    assert torch.allclose(make_activation("sigmoid")(torch.tensor([0.0])), torch.tensor([0.5]))


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("ReLU", "relu"),
        ("Leaky-ReLU", "leaky_relu"),
        ("LeakyReLU", "leaky_relu"),
        (" GELU ", "gelu"),
    ],
)
def test_spellings_are_normalized(spelling, canonical):
    assert canonical_activation(spelling) == canonical


def test_unknown_name_raises_config_error_with_field_and_allowed_list():
    with pytest.raises(ConfigError) as info:
        canonical_activation("relux")
    message = str(info.value)
    assert message.startswith("model.activation: 'relux' is not a known activation")
    assert "allowed: relu, leaky_relu, selu, gelu, tanh, sigmoid" in message
    assert isinstance(info.value, ValueError)


def test_field_prefix_can_be_left_out():
    with pytest.raises(ConfigError, match=r"^'swishy' is not a known activation"):
        canonical_activation("swishy", field=None)
