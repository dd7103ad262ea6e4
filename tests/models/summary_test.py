import pytest
import torch
from torch import nn

from trainwise.errors import ArgumentTypeError, ModelError
from trainwise.models.build import build_model
from trainwise.models.config import ModelConfig
from trainwise.models.summary import count_params, model_summary


@pytest.mark.parametrize("name", ["mlp", "cnn", "resnet", "inception"])
@pytest.mark.parametrize("shape", [(1, 40), (3, 8, 8)])
def test_totals_equal_sum_of_numel(name, shape):
    model = build_model(ModelConfig(name=name, channels=[8, 16], hidden=[32]), shape, 10)
    summary = model_summary(model, shape)
    total = sum(p.numel() for p in model.parameters())
    assert summary.total_params == total == summary.trainable_params
    assert sum(row.params for row in summary.rows) == total
    assert all(row.output_shape is not None for row in summary.rows)
    assert summary.rows[-1].output_shape == (10,)
    assert f"Total params: {total:,}" in summary.render()


def test_default_cnn_rows():
    summary = model_summary(build_model(ModelConfig(), (1, 40), 10))  # shape from the model
    rows = {row.name: row for row in summary.rows}
    assert rows["features.block1.conv"] == ("features.block1.conv", "Conv1d", (16, 40), 48)
    assert rows["features.block1.norm"].params == 32
    assert rows["features.pool1"].output_shape == (16, 20)
    assert rows["features.pool3"].output_shape == (32, 5)
    assert rows["head.linear"] == ("head.linear", "Linear", (10,), 330)
    assert [r.name for r in summary.rows][:3] == [
        "features.block1.conv",
        "features.block1.norm",
        "features.block1.act",
    ]
    text = str(summary)
    assert "features.block1.conv (Conv1d)" in text and "(N, 16, 40)" in text
    assert "Total params: 5,146" in text and "Non-trainable params: 0" in text


def test_frozen_shared_and_unused_parameters():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 4)
            self.b = self.a  # shared
            self.unused = nn.Linear(4, 100)
            self.scale = nn.Parameter(torch.ones(1))  # held by a non-leaf module

        def forward(self, x):
            return self.b(self.a(x)) * self.scale

    net = Net()
    net.a.bias.requires_grad_(False)
    summary = model_summary(net, (4,))
    assert summary.total_params == 20 + 500 + 1 == count_params(net)
    assert summary.trainable_params == 20 + 500 + 1 - 4 == count_params(net, trainable_only=True)
    assert summary.non_trainable_params == 4
    assert sum(r.params for r in summary.rows) == summary.total_params
    rows = {r.name: r for r in summary.rows}
    assert rows["unused"].output_shape is None and summary.rows[-1].name == "unused"
    assert rows[""].params == 1  # the root's own parameter
    assert "unused (Linear)" in summary.render() and " - " in summary.render()


def test_modes_restored_and_no_hooks_left():
    model = build_model(ModelConfig(dropout=0.3), (1, 40), 10)
    model.head.dropout.eval()
    model_summary(model)
    assert model.training and not model.head.dropout.training
    assert not any(m._forward_hooks for m in model.modules())


def test_wrong_shape_raises_model_error_naming_layer():
    model = build_model(ModelConfig(), (1, 40), 10)
    with pytest.raises(ModelError, match="layer 'features.block1.conv'"):
        model_summary(model, (2, 40))
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def test_plain_module_needs_a_shape():
    with pytest.raises(ArgumentTypeError, match="input_shape"):
        model_summary(nn.Linear(3, 2))
