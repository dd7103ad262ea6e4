import pytest
import torch
from torch import nn

from trainwise.errors import ModelError
from trainwise.models.build import build_model
from trainwise.models.config import ModelConfig
from trainwise.models.shape_check import check_input_shape, expectation


def test_fitting_shape_returns_output_shape():
    model = build_model(ModelConfig(), (1, 40), 10)
    assert check_input_shape(model, (1, 40)) == (10,)


def test_wrong_channel_count_names_the_conv():
    model = build_model(ModelConfig(), (1, 40), 10)
    with pytest.raises(ModelError) as info:
        check_input_shape(model, (3, 40))
    message = str(info.value)
    assert message.startswith(
        "input shape (3, 40) does not fit the model: layer 'features.block1.conv' (Conv1d) "
        "expects 3-D input (N, C, L) with 1 channel but got (2, 3, 40)"
    )
    assert "(torch:" in message


def test_missing_channel_axis_gets_a_hint():
    model = build_model(ModelConfig(), (3, 8, 8), 10)
    with pytest.raises(ModelError) as info:
        check_input_shape(model, (8, 8))
    message = str(info.value)
    assert (
        "layer 'features.block1.conv' (Conv2d) expects 4-D input (N, C, H, W) with 3 channels"
        in message
    )
    assert "got (2, 8, 8)" in message
    assert "add a channel axis, i.e. reshape the data to (3, 8, 8)" in message


def test_linear_with_wrong_width_names_layer_and_features():
    model = build_model(ModelConfig(name="mlp", hidden=[16]), (40,), 10)
    with pytest.raises(ModelError) as info:
        check_input_shape(model, (50,))
    message = str(info.value)
    assert (
        "layer 'features.dense1' (Linear) expects inputs whose last axis has 40 features" in message
    )
    assert "got (2, 50)" in message
    assert "input_shape=(50,)" in message


def test_innermost_failing_layer_is_named_in_a_nested_model():
    model = build_model(ModelConfig(name="resnet", channels=[4, 8], head="flatten"), (1, 16), 3)
    with pytest.raises(
        ModelError, match=r"layer 'head.linear' \(Linear\) expects inputs whose last axis has 32"
    ):
        check_input_shape(model, (1, 32))  # convs accept any length; the flatten head does not


class _Concat(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 2)

    def forward(self, x):
        return torch.cat([self.a(x), x[:, :, None]], dim=1)  # fails in this module's own code


def test_failure_in_the_models_own_forward():
    with pytest.raises(ModelError) as info:
        check_input_shape(_Concat(), (4,))
    assert "the model's own forward (_Concat) failed on input (2, 4)" in str(info.value)


def test_eval_mode_restored_and_batchnorm_stats_untouched():
    model = build_model(ModelConfig(), (1, 40), 10)
    model.features.block1.norm.eval()  # user froze one BN on purpose
    with torch.no_grad():
        model.features.block2.norm.running_mean.fill_(0.5)
    before = model.features.block2.norm.running_mean.clone()
    check_input_shape(model, (1, 40))
    with pytest.raises(ModelError):
        check_input_shape(model, (2, 40))
    assert model.training and not model.features.block1.norm.training
    assert model.features.block2.norm.training
    assert torch.equal(model.features.block2.norm.running_mean, before)
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def test_expectations():
    assert expectation(nn.Linear(7, 3)) == "expects inputs whose last axis has 7 features"
    assert expectation(nn.BatchNorm2d(5)) == "expects 4-D (N, C, H, W) input with 5 channels"
    assert expectation(nn.ReLU()) is None
