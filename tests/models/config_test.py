import pytest
from pydantic import ValidationError

from trainwise.config.section import Section
from trainwise.models.config import ModelConfig


def test_defaults():
    cfg = ModelConfig()
    assert isinstance(cfg, Section)
    assert cfg.name == "cnn"
    assert cfg.channels == [16, 32, 32]
    assert cfg.hidden == [128, 128]
    assert (cfg.kernel_size, cfg.dilation, cfg.pool, cfg.pool_every) == (3, 1, "max", 1)
    assert (cfg.design, cfg.head, cfg.activation, cfg.norm) == ("plain", "gap", "relu", "batch")
    assert (cfg.dropout, cfg.blocks, cfg.reduction) == (0.0, 2, 4)
    assert (cfg.init, cfg.init_std, cfg.init_value) == ("default", 0.1, 0.0)


def test_names_are_canonicalized():
    cfg = ModelConfig(activation="LeakyReLU", init="xavier_uniform")
    assert cfg.activation == "leaky_relu"
    assert cfg.init == "glorot_uniform"


@pytest.mark.parametrize(
    ("given", "stored"), [("ResNet", "resnet"), ("MLP", "mlp"), ("cnn", "cnn")]
)
def test_model_name_spellings(given, stored):
    assert ModelConfig(name=given).name == stored


def test_unknown_model_name_suggests():
    with pytest.raises(ValidationError) as info:
        ModelConfig(name="resnett")
    assert "'resnett' is not a known model; did you mean 'resnet'? allowed: mlp, cnn" in str(
        info.value
    )


def _error_text(**kwargs):
    with pytest.raises(ValidationError) as info:
        ModelConfig(**kwargs)
    return info.value


def test_unknown_activation_message_lists_allowed():
    err = _error_text(activation="relux")
    (detail,) = err.errors()
    assert detail["loc"] == ("activation",)
    assert (
        "'relux' is not a known activation; did you mean 'relu'? allowed: relu, leaky_relu, selu"
        in detail["msg"]
    )
    assert isinstance(err, ValueError)


def test_unknown_init_message_lists_allowed():
    (detail,) = _error_text(init="glorot").errors()
    assert detail["loc"] == ("init",)
    assert "allowed: default, truncated_normal" in detail["msg"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "vgg"),
        ("design", "dense"),
        ("pool", "min"),
        ("head", "dense"),
        ("norm", "layer"),
        ("dropout", 1.0),
        ("dropout", -0.1),
        ("kernel_size", 0),
        ("blocks", 0),
        ("pool_every", 0),
        ("reduction", 1),
        ("init_std", 0.0),
        ("init_std", float("inf")),
        ("channels", []),
        ("channels", [8, 0]),
        ("hidden", [-1]),
        ("dilation", 0),
        ("dilation", []),
    ],
)
def test_out_of_range_values_are_rejected(field, value):
    err = _error_text(**{field: value})
    assert err.errors()[0]["loc"][0] == field


def test_unknown_key_is_rejected():
    err = _error_text(activaton="relu")
    assert err.errors()[0]["type"] == "extra_forbidden"


def test_dilation_list_must_match_channels():
    assert ModelConfig(channels=[4, 4], dilation=[1, 2]).dilation == [1, 2]
    err = _error_text(channels=[4, 4, 4], dilation=[1, 2])
    assert "model.dilation: [1, 2] has 2 entries but model.channels has 3" in str(err)


def test_assignment_is_validated():
    cfg = ModelConfig()
    cfg.activation = "GELU"
    assert cfg.activation == "gelu"
    with pytest.raises(ValidationError):
        cfg.activation = "nope"
    with pytest.raises(ValidationError):
        cfg.dilation = [1, 2]  # three channel entries


def test_empty_hidden_allowed():
    assert ModelConfig(hidden=[]).hidden == []
