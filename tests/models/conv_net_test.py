import pytest
import torch
from torch import nn

from trainwise.errors import ModelError
from trainwise.models.conv_net import ConvNet, per_block


class Widen(ConvNet):
    """A minimal subclass: each stage is one 1x1 conv, so the counts are easy closed forms."""

    model_name = "widen"
    stage_name = "layer"

    def make_stage(self, in_channels, out_channels, **unit):
        self.seen.append(unit)
        return nn.Conv1d(in_channels, out_channels, 1) if unit["dims"] == 1 else nn.Identity()

    def __init__(self, *args, **kwargs):
        self.seen = []
        super().__init__(*args, **kwargs)


class WithStem(Widen):
    def make_stem(self, in_channels, channels, **unit):
        return nn.Conv1d(in_channels, channels[0], 1)


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_stage_names_pooling_and_head_closed_form():
    model = Widen((2, 8), 3, channels=(4, 6, 6), pool_every=2, norm="none")
    names = [n for n, _ in model.features.named_children()]
    assert names == ["layer1", "layer2", "pool2", "layer3"]
    # 1x1 convs: (2*4+4) + (4*6+6) + (6*6+6); gap head Linear(6, 3)
    assert n_params(model) == 12 + 30 + 42 + (6 * 3 + 3)
    assert model(torch.zeros(2, 2, 8)).shape == (2, 3)
    assert model.input_shape == (2, 8) and model.output_dim == 3


def test_stages_get_the_shared_unit_options_and_their_own_dilation():
    model = Widen((1, 8), 2, channels=(4, 4), dilation=[1, 3], kernel_size=5, activation="tanh")
    assert model.seen == [
        dict(dims=1, kernel_size=5, design="plain", activation="tanh", norm="batch", dilation=d)
        for d in (1, 3)
    ]


def test_stem_sets_the_first_stage_input():
    model = WithStem((1, 8), 2, channels=(4, 8), pool="none", head="flatten")
    assert [n for n, _ in model.features.named_children()] == ["stem", "layer1", "layer2"]
    assert model.features.layer1.in_channels == 4
    assert model.head.linear.in_features == 8 * 8


def test_errors_name_the_model_and_field():
    with pytest.raises(ModelError, match="'widen' needs inputs of shape"):
        Widen((40,), 2)
    with pytest.raises(ModelError, match="model.dilation"):
        Widen((1, 8), 2, channels=(4, 4), dilation=[1])
    with pytest.raises(NotImplementedError, match="ConvNet must implement make_stage"):
        ConvNet((1, 8), 2)


def test_per_block():
    assert per_block(3, 2, "f") == [3, 3]
    assert per_block([1, 2], 2, "f") == [1, 2]
