import math

import pytest
import torch
from scipy.stats import truncnorm
from torch import nn

from trainwise.errors import ConfigError
from trainwise.models.initializers import apply_init, canonical_init, init_names

FAN_IN, FAN_OUT = 400, 300


def _layer(name, **kwargs):
    torch.manual_seed(0)
    return apply_init(nn.Linear(FAN_IN, FAN_OUT), name, **kwargs)


def _var(t):
    return t.detach().double().var().item()


@pytest.mark.parametrize(
    ("name", "variance"),
    [
        ("glorot_uniform", 2 / (FAN_IN + FAN_OUT)),
        ("glorot_normal", 2 / (FAN_IN + FAN_OUT)),
        ("he_uniform", 2 / FAN_IN),
        ("he_normal", 2 / FAN_IN),
        ("lecun_uniform", 1 / FAN_IN),
        ("lecun_normal", 1 / FAN_IN),
        ("normal", 0.1**2),
        ("uniform", 0.1**2),
    ],
)
def test_variance_matches_closed_form(name, variance):
    w = _layer(name).weight
    # 120k draws: the sample variance is within ~1% of the truth; 5% leaves a wide margin.
    assert _var(w) == pytest.approx(variance, rel=0.05)
    assert abs(w.mean().item()) < 0.05 * math.sqrt(variance)


@pytest.mark.parametrize(
    ("name", "bound"),
    [
        ("glorot_uniform", math.sqrt(6 / (FAN_IN + FAN_OUT))),
        ("he_uniform", math.sqrt(6 / FAN_IN)),
        ("lecun_uniform", math.sqrt(3 / FAN_IN)),
        ("uniform", math.sqrt(3) * 0.1),
    ],
)
def test_uniform_bounds(name, bound):
    w = _layer(name).weight
    assert w.abs().max().item() <= bound
    assert w.abs().max().item() > 0.99 * bound


def test_truncated_normal_stays_within_two_std_and_has_truncated_std():
    for std in (0.1, 0.02):
        w = _layer("truncated_normal", std=std).weight
        assert w.abs().max().item() <= 2 * std
        assert w.abs().max().item() > 1.95 * std  # re-drawn, not clipped to a narrower range
        expected = std * truncnorm(-2, 2).std()  # 0.8796 * std
        assert math.sqrt(_var(w)) == pytest.approx(expected, rel=0.02)


def test_truncated_normal_default_std_is_the_sources_0_1():
    w = _layer("truncated_normal").weight
    assert w.abs().max().item() <= 0.2
    assert math.sqrt(_var(w)) == pytest.approx(0.1 * 0.8796, rel=0.02)


def test_zeros_and_constant():
    assert torch.count_nonzero(_layer("zeros").weight).item() == 0
    w = _layer("constant", value=0.25).weight
    assert torch.all(w == 0.25)


def test_biases_zeroed_and_batchnorm_untouched():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(2, 4, 3), nn.BatchNorm1d(4), nn.Linear(4, 3))
    with torch.no_grad():
        model[1].weight.fill_(0.5)
    apply_init(model, "he_normal")
    assert torch.all(model[0].bias == 0) and torch.all(model[2].bias == 0)
    assert torch.all(model[1].weight == 0.5) and torch.all(model[1].bias == 0)


def test_conv_fan_in_includes_kernel():
    torch.manual_seed(0)
    conv = apply_init(nn.Conv1d(32, 64, 5), "he_normal")
    assert _var(conv.weight) == pytest.approx(2 / (32 * 5), rel=0.1)


def test_default_leaves_torch_init_untouched():
    torch.manual_seed(1)
    a = nn.Linear(10, 5)
    torch.manual_seed(1)
    b = apply_init(nn.Linear(10, 5), "default")
    assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("xavier_uniform", "glorot_uniform"),
        ("xavier_normal", "glorot_normal"),
        ("kaiming_uniform", "he_uniform"),
        ("Kaiming-Normal", "he_normal"),
        ("trunc_normal", "truncated_normal"),
    ],
)
def test_aliases(alias, canonical):
    assert canonical_init(alias) == canonical
    torch.manual_seed(3)
    a = apply_init(nn.Linear(20, 10), alias).weight
    torch.manual_seed(3)
    b = apply_init(nn.Linear(20, 10), canonical).weight
    assert torch.equal(a, b)


def test_unknown_init_lists_allowed():
    with pytest.raises(ConfigError) as info:
        canonical_init("glorot")
    message = str(info.value)
    assert message.startswith("model.init: 'glorot' is not a known initializer")
    for name in init_names():
        assert name in message
    assert "xavier_uniform" in message


@pytest.mark.parametrize("std", [0.0, -1.0, float("nan")])
def test_bad_std_rejected(std):
    with pytest.raises(ConfigError, match="model.init_std"):
        apply_init(nn.Linear(2, 2), "normal", std=std)


def test_lazy_layers_are_skipped():
    model = nn.Sequential(nn.LazyLinear(3), nn.Linear(3, 2))
    apply_init(model, "zeros")
    assert torch.all(model[1].weight == 0)
