import pytest
import torch
from torch import nn

from trainwise.errors import ArgumentTypeError, ConfigError, ModelError
from trainwise.models.build import build_model
from trainwise.models.cnn import CNN
from trainwise.models.config import ModelConfig
from trainwise.models.conv_block import DESIGNS
from trainwise.models.inception import InceptionNet
from trainwise.models.mlp import MLP
from trainwise.models.resnet import ResNet

SHAPES = {"1d": (2, 24), "2d": (3, 10, 9)}
CONV_NETS = ("cnn", "resnet", "inception")


def _check_forward_backward(model, shape, out_dim=5):
    model.train()
    # own generator: the result must not depend on which tests ran before (a channel whose
    # units are all negative for 3 unlucky samples would get a zero BN-weight gradient)
    x = torch.randn(8, *shape, generator=torch.Generator().manual_seed(0))
    y = model(x)
    assert y.shape == (8, out_dim)
    y.square().mean().backward()
    # every parameter takes part in the output (no dead branch, nothing detached); a grad of
    # exactly zero can be an unlucky all-negative ReLU channel, so check graph membership and
    # that each module's gradients are not all zero
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert missing == []
    by_module: dict[str, float] = {}
    for n, p in model.named_parameters():
        mod = n.rsplit(".", 1)[0]
        by_module[mod] = by_module.get(mod, 0.0) + float(p.grad.abs().sum())
    missing = [m for m, g in by_module.items() if not g > 0]
    assert missing == []


@pytest.mark.parametrize("head", ["gap", "flatten"])
@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("dims", sorted(SHAPES))
@pytest.mark.parametrize("name", CONV_NETS)
def test_conv_nets_every_design_and_head(name, dims, design, head):
    torch.manual_seed(0)
    shape = SHAPES[dims]
    cfg = ModelConfig(name=name, design=design, head=head, channels=[4, 8], blocks=1, kernel_size=5)
    if design == "asymmetric" and dims == "1d":
        with pytest.raises(ModelError, match="needs 2-D inputs"):
            build_model(cfg, shape, 5)
        return
    model = build_model(cfg, shape, 5)
    conv_cls = nn.Conv1d if dims == "1d" else nn.Conv2d
    assert any(isinstance(m, conv_cls) for m in model.modules())
    _check_forward_backward(model, shape)


@pytest.mark.parametrize("shape", [(12,), (2, 6), (2, 3, 4)])
def test_mlp_on_any_shape(shape):
    torch.manual_seed(0)
    model = build_model(ModelConfig(name="mlp", hidden=[8, 4]), shape, 5)
    _check_forward_backward(model, shape)


def test_model_classes_and_attributes():
    kinds = {"mlp": MLP, "cnn": CNN, "resnet": ResNet, "inception": InceptionNet}
    for name, cls in kinds.items():
        model = build_model({"name": name, "channels": [4, 8], "hidden": [8]}, (1, 16), 3)
        assert type(model) is cls
        assert model.input_shape == (1, 16) and model.output_dim == 3


def test_default_config_builds_default_cnn():
    model = build_model(None, [1, 40], 10)
    assert type(model) is CNN
    assert sum(p.numel() for p in model.parameters()) == 5146


def test_outputs_are_raw_logits():
    torch.manual_seed(0)
    model = build_model(ModelConfig(name="mlp", hidden=[8], norm="none"), (4,), 3).eval()
    out = model(torch.randn(50, 4) * 10)
    assert not torch.allclose(out.sum(dim=1), torch.ones(50))  # not softmaxed
    assert (out < 0).any()


@pytest.mark.parametrize("name", ["mlp", "cnn", "resnet", "inception"])
def test_dropout_present_and_active_only_in_train_mode(name):
    torch.manual_seed(0)
    cfg = ModelConfig(name=name, dropout=0.5, channels=[4, 8], hidden=[16], blocks=1)
    model = build_model(cfg, (1, 16), 3)
    drops = [m for m in model.modules() if isinstance(m, nn.Dropout)]
    assert drops and all(d.p == 0.5 for d in drops)
    x = torch.randn(8, 1, 16)
    model.train()
    assert not torch.equal(model(x), model(x))
    model.eval()
    assert torch.equal(model(x), model(x))
    no_drop = build_model(cfg.model_copy(update={"dropout": 0.0}), (1, 16), 3)
    assert not any(isinstance(m, nn.Dropout) for m in no_drop.modules())


@pytest.mark.parametrize("name", ["mlp", "cnn", "resnet", "inception"])
@pytest.mark.parametrize("shape", [(1, 16), (2, 6, 6)])
def test_batchnorm_iff_norm_batch(name, shape):
    cfg = ModelConfig(name=name, channels=[4, 8], hidden=[8], blocks=1)
    bn_cls = nn.BatchNorm1d if (name == "mlp" or len(shape) == 2) else nn.BatchNorm2d
    with_bn = build_model(cfg, shape, 3)
    assert any(type(m) is bn_cls for m in with_bn.modules())
    without = build_model(cfg.model_copy(update={"norm": "none"}), shape, 3)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in without.modules())


def test_activation_is_used_everywhere():
    model = build_model(ModelConfig(name="resnet", activation="selu", channels=[4]), (1, 8), 2)
    acts = [m for m in model.modules() if isinstance(m, (nn.ReLU, nn.SELU))]
    assert acts and all(isinstance(m, nn.SELU) for m in acts)


def test_init_is_applied_to_every_weight_layer():
    cfg = ModelConfig(
        name="resnet", init="truncated_normal", init_std=0.05, channels=[4, 8], norm="none"
    )
    torch.manual_seed(0)
    model = build_model(cfg, (1, 16), 3)
    for module in model.modules():
        if isinstance(module, (nn.Conv1d, nn.Linear)):
            assert module.weight.abs().max() <= 0.1
            assert torch.all(module.bias == 0)


def test_same_seed_same_weights():
    cfg = ModelConfig(name="inception", init="he_uniform", channels=[8])
    torch.manual_seed(7)
    a = build_model(cfg, (1, 16), 3)
    torch.manual_seed(7)
    b = build_model(cfg, (1, 16), 3)
    for (name, pa), (_, pb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(pa, pb), name


def test_dict_config_errors_become_config_error():
    with pytest.raises(ConfigError) as info:
        build_model({"activation": "relux", "pool": "min"}, (1, 16), 3)
    pool_err, act_err = info.value.errors  # in field order
    # the validator's sentence names the value, so it is not repeated ("is not allowed: 'relux'")
    assert act_err.startswith("model.activation: 'relux' is not a known activation; did you mean")
    assert "allowed: relu, leaky_relu" in act_err
    assert pool_err.startswith("model.pool: 'min' is not allowed")


def test_bad_arguments():
    with pytest.raises(ArgumentTypeError, match="cfg"):
        build_model("cnn", (1, 16), 3)
    with pytest.raises(ModelError, match="output_dim: 0"):
        build_model(None, (1, 16), 0)
    with pytest.raises(ModelError, match="model.name=mlp"):
        build_model(None, (40,), 10)
