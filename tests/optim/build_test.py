import math

import pytest
import torch
from torch import nn

from trainwise.errors import ArgumentTypeError, ConfigError, ModelError
from trainwise.optim.build import build_optimizer
from trainwise.optim.config import OptimizerConfig


@pytest.fixture
def net(tiny_mlp):
    """Builds Linear(3, 4) -> BatchNorm1d -> Linear(4, 2) from the global RNG as it is: two
    weights that decay, two biases and a norm layer that do not."""
    return lambda: tiny_mlp(3, 4, act=None, norm=True, seed=None)


@pytest.mark.parametrize(
    ("name", "kwargs", "cls", "expected"),
    [
        ("sgd", {}, torch.optim.SGD, {"momentum": 0.0, "nesterov": False, "weight_decay": 0.0}),
        ("momentum", {}, torch.optim.SGD, {"momentum": 0.9, "nesterov": False}),
        ("nesterov", {}, torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
        (
            "sgd",
            {"momentum": 0.5, "nesterov": True},
            torch.optim.SGD,
            {"momentum": 0.5, "nesterov": True},
        ),
        (
            "rmsprop",
            {},
            torch.optim.RMSprop,
            {"alpha": 0.9, "eps": 1e-8, "momentum": 0.0, "centered": False},
        ),
        (
            "rmsprop",
            {"rho": 0.99, "momentum": 0.9, "centered": True, "epsilon": 1e-7},
            torch.optim.RMSprop,
            {"alpha": 0.99, "eps": 1e-7, "momentum": 0.9, "centered": True},
        ),
        ("adagrad", {}, torch.optim.Adagrad, {"eps": 1e-10}),
        (
            "adam",
            {},
            torch.optim.Adam,
            {"betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False, "weight_decay": 0.0},
        ),
        (
            "adam",
            {"beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-7, "amsgrad": True},
            torch.optim.Adam,
            {"betas": (0.8, 0.99), "eps": 1e-7, "amsgrad": True},
        ),
        (
            "adamw",
            {},
            torch.optim.AdamW,
            {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01},
        ),
    ],
)
def test_each_optimizer_gets_its_settings(name, kwargs, cls, expected, net):
    opt = build_optimizer(OptimizerConfig(name=name, lr=0.05, **kwargs), net())
    group = opt.param_groups[0]
    assert type(opt) is cls
    assert group["lr"] == 0.05
    assert {k: group[k] for k in expected} == expected


def test_weight_decay_skips_biases_and_norm_params(net):
    model = net()
    opt = build_optimizer(OptimizerConfig(name="adamw", weight_decay=0.1), model)
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert {id(p) for p in decay["params"]} == {id(model[0].weight), id(model[2].weight)}
    assert len(no_decay["params"]) == 4  # two biases, BN weight and bias


def test_adamw_zero_weight_decay_is_really_zero(net):
    # AdamW's own default is 0.01: a group without the key would silently get it
    opt = build_optimizer(OptimizerConfig(name="adamw", weight_decay=0.0), net())
    assert [g["weight_decay"] for g in opt.param_groups] == [0.0]


def test_coupled_weight_decay_for_sgd_adds_wd_times_w_to_the_gradient():
    p = nn.Linear(1, 1, bias=False)
    nn.init.constant_(p.weight, 2.0)
    opt = build_optimizer(OptimizerConfig(name="sgd", lr=0.1, weight_decay=0.5), p)
    p.weight.grad = torch.zeros_like(p.weight)
    opt.step()
    assert p.weight.item() == pytest.approx(2.0 - 0.1 * 0.5 * 2.0)


def test_rmsprop_rho_is_torch_alpha():
    # first step: v = (1 - rho) g^2, update = lr * g / (sqrt(v) + eps) = lr / sqrt(1 - rho)
    p = nn.Linear(1, 1, bias=False)
    nn.init.constant_(p.weight, 0.0)
    opt = build_optimizer(OptimizerConfig(name="rmsprop", lr=0.01, rho=0.9), p)
    p.weight.grad = torch.full_like(p.weight, 3.0)
    opt.step()
    assert p.weight.item() == pytest.approx(-0.01 / math.sqrt(0.1), rel=1e-5)


def test_only_trainable_params(net):
    model = net()
    model[0].requires_grad_(False)
    opt = build_optimizer(None, model)
    ids = {id(p) for g in opt.param_groups for p in g["params"]}
    assert ids == {id(p) for p in model[1:].parameters()}
    model.requires_grad_(False)
    with pytest.raises(ModelError, match="no trainable parameters"):
        build_optimizer(None, model)


def test_linear_lr_scaling(net):
    cfg = OptimizerConfig(name="sgd", lr=0.1, lr_scaling="linear", base_batch_size=32)
    opt = build_optimizer(cfg, net(), batch_size=128)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.4)
    with pytest.raises(ConfigError, match="needs the batch size"):
        build_optimizer(cfg, net())
    # without scaling, the batch size does not matter
    plain = build_optimizer(OptimizerConfig(name="sgd", lr=0.1), net(), batch_size=128)
    assert plain.param_groups[0]["lr"] == 0.1


def test_not_a_module():
    with pytest.raises(ArgumentTypeError, match="expected a torch.nn.Module"):
        build_optimizer(None, [torch.zeros(1, requires_grad=True)])


class _Scalar(nn.Module):
    def __init__(self, x0):
        super().__init__()
        self.x = nn.Parameter(torch.tensor(x0, dtype=torch.float64))


def _descend(lr, steps=5):
    # the source's table: gradient descent on J(x) = x^2 from x = 5
    m = _Scalar(5.0)
    opt = build_optimizer(OptimizerConfig(name="sgd", lr=lr), m)
    xs = [m.x.item()]
    for _ in range(steps):
        opt.zero_grad()
        (m.x**2).backward()
        opt.step()
        xs.append(m.x.item())
    return xs


def test_gradient_descent_table_on_x_squared():
    assert _descend(1.0) == [5.0, -5.0, 5.0, -5.0, 5.0, -5.0]  # x <- x - 2x: oscillates
    assert _descend(0.3)[-1] == pytest.approx(5 * 0.4**5)  # 0.0512
    assert _descend(0.3)[-1] == pytest.approx(0.0512)
    assert _descend(0.001)[-1] == pytest.approx(5 * 0.998**5)  # 4.9501: barely moves
    assert _descend(0.001)[-1] == pytest.approx(4.9501, abs=1e-4)
