from collections import OrderedDict

import pytest
import torch
from pydantic import ValidationError
from torch import nn

from trainwise.errors import ConfigError
from trainwise.optim.regularization import RegularizationConfig, WeightPenalty


@pytest.fixture
def net(tiny_mlp):
    """Builds Linear(2, 3) -> BatchNorm1d -> ReLU -> Linear(3, 1) with known values: kernel
    entries 0.5 (6 of them) and -2.0 (3), every bias and norm parameter 7.0."""

    def build():
        model = tiny_mlp(2, 3, 1, norm=True, seed=None)
        with torch.no_grad():
            model[0].weight.fill_(0.5)  # 6 entries
            model[3].weight.fill_(-2.0)  # 3 entries
            for p in (model[0].bias, model[3].bias, model[1].weight, model[1].bias):
                p.fill_(7.0)
        return model

    return build


def test_closed_form_l1_l2_and_l1l2(net):
    model = net()
    l1 = WeightPenalty(RegularizationConfig(l1=0.1), model)()
    l2 = WeightPenalty(RegularizationConfig(l2=0.01), model)()
    both = WeightPenalty(RegularizationConfig(l1=0.1, l2=0.01), model)()
    assert l1.item() == pytest.approx(0.1 * (6 * 0.5 + 3 * 2.0))  # 0.9
    assert l2.item() == pytest.approx(0.01 * (6 * 0.25 + 3 * 4.0))  # no 1/2: 0.135
    assert both.item() == pytest.approx(0.9 + 0.135)


def test_biases_and_batchnorm_are_not_penalised(net):
    model = net()
    penalty = WeightPenalty(RegularizationConfig(l1=0.1, l2=0.01), model)
    before = penalty().item()
    with torch.no_grad():
        for p in (model[0].bias, model[3].bias, model[1].weight, model[1].bias):
            p.fill_(-100.0)
    assert penalty().item() == pytest.approx(before)
    penalty().backward()
    assert model[0].bias.grad is None and model[1].weight.grad is None
    assert [name for name, _, _ in penalty.penalized] == ["0", "3"]


def test_per_layer_override_inherits_unset_coefficients(net):
    cfg = RegularizationConfig(l1=0.1, l2=0.01, layers={"3": {"l2": 0.0}})
    penalty = WeightPenalty(cfg, net())
    # layer 3 keeps l1 = 0.1 but has no l2
    assert penalty().item() == pytest.approx(0.1 * 9 + 0.01 * 6 * 0.25)
    assert penalty.penalized == [("0", 0.1, 0.01), ("3", 0.1, 0.0)]


def test_longest_prefix_wins_and_prefix_respects_dots():
    model = nn.Sequential(
        OrderedDict(
            features=nn.Sequential(nn.Conv1d(1, 2, 3), nn.Conv1d(2, 2, 3)),
            features2=nn.Linear(4, 4),
        )
    )
    cfg = RegularizationConfig(layers={"features": {"l2": 1.0}, "features.1": {"l2": 0.5}})
    penalty = WeightPenalty(cfg, model)
    assert penalty.penalized == [("features.0", 0.0, 1.0), ("features.1", 0.0, 0.5)]
    want = model.features[0].weight.square().sum() + 0.5 * model.features[1].weight.square().sum()
    assert torch.allclose(penalty(), want)


def test_unknown_layer_lists_the_model_layers(net):
    with pytest.raises(ConfigError) as info:
        WeightPenalty(RegularizationConfig(l2=0.1, layers={"head": {"l2": 0.0}}), net())
    assert str(info.value) == (
        "regularization.layers: 'head' matches no Linear/Conv layer of the model; layer names: 0, 3"
    )


def test_gradient_of_penalty_is_added_to_the_loss_gradient():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    l1, l2 = 0.05, 0.2
    penalty = WeightPenalty(RegularizationConfig(l1=l1, l2=l2), model)

    nn.functional.mse_loss(model(x), y).backward()
    plain_w, plain_b = model.weight.grad.clone(), model.bias.grad.clone()
    model.zero_grad()
    (nn.functional.mse_loss(model(x), y) + penalty()).backward()

    w = model.weight.detach()
    assert torch.allclose(model.weight.grad, plain_w + l1 * w.sign() + 2 * l2 * w)
    assert torch.allclose(model.bias.grad, plain_b)


def test_inactive_when_all_zero(net):
    penalty = WeightPenalty(None, net())
    assert not penalty.active and penalty.penalized == []
    assert penalty().item() == 0.0
    assert WeightPenalty(RegularizationConfig(l2=1e-4), net()).active
    # a global zero with a non-zero layer override is active
    assert WeightPenalty(RegularizationConfig(layers={"0": {"l1": 0.1}}), net()).active


def test_tied_and_frozen_weights():
    shared = nn.Linear(2, 2, bias=False)
    model = nn.Sequential(shared, shared, nn.Linear(2, 2))
    model[2].weight.requires_grad_(False)
    with torch.no_grad():
        shared.weight.fill_(1.0)
    penalty = WeightPenalty(RegularizationConfig(l1=1.0), model)
    assert penalty().item() == pytest.approx(4.0)  # counted once, frozen layer skipped


def test_config_validation():
    assert RegularizationConfig().l1 == 0.0 and RegularizationConfig().layers == {}
    with pytest.raises(ValidationError, match="must be >= 0"):
        RegularizationConfig(l2=-0.1)
    with pytest.raises(ValidationError, match="must be >= 0"):
        RegularizationConfig(layers={"0": {"l1": -1.0}})
    with pytest.raises(ValidationError, match="extra"):
        RegularizationConfig(layers={"0": {"l3": 1.0}})
