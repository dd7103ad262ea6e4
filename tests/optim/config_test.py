import pytest
from pydantic import ValidationError

from trainwise.config.validate import make_section
from trainwise.errors import ConfigError
from trainwise.optim.config import OptimizerConfig


def test_defaults():
    cfg = OptimizerConfig()
    assert (cfg.name, cfg.lr, cfg.beta_1, cfg.beta_2, cfg.rho, cfg.amsgrad) == (
        "adam",
        1e-3,
        0.9,
        0.999,
        0.9,
        False,
    )
    assert cfg.epsilon is None and cfg.momentum is None and cfg.nesterov is None
    assert cfg.lr_scaling == "none" and cfg.base_batch_size is None


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Adam", "adam"),
        ("RMSprop", "rmsprop"),
        ("SGD", "sgd"),
        ("AdamW", "adamw"),
        ("Adam-W", "adamw"),  # the same rule as "Leaky-ReLU" for activations
        (" adam_w ", "adamw"),
    ],
)
def test_keras_spellings(given, stored):
    assert OptimizerConfig(name=given).name == stored


def test_unknown_name_suggests():
    with pytest.raises(ValidationError) as info:
        OptimizerConfig(name="adamm")
    msg = str(info.value)
    assert "'adamm' is not a known optimizer; did you mean 'adam'?" in msg
    assert "allowed: sgd, momentum, nesterov, rmsprop, adagrad, adam, adamw" in msg


@pytest.mark.parametrize("lr", [0.0, -0.1])
def test_lr_must_be_positive(lr):
    with pytest.raises(ValidationError, match="must be > 0"):
        OptimizerConfig(lr=lr)


def test_lr_message_through_the_config_validator():
    with pytest.raises(ConfigError) as info:
        make_section(OptimizerConfig, {"lr": -0.1}, "optimizer")
    assert "optimizer.lr: -0.1 is not allowed: must be > 0" in str(info.value)


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("momentum", 1.0, r"must be in \[0, 1\)"),
        ("beta_1", -0.1, r"must be in \[0, 1\)"),
        ("beta_2", 1.0, r"must be in \[0, 1\)"),
        ("rho", 0.0, r"must be in \(0, 1\)"),
        ("epsilon", 0.0, "must be > 0"),
        ("weight_decay", -1e-4, "must be >= 0"),
        ("base_batch_size", 0, "must be an integer >= 1"),
    ],
)
def test_ranges(field, value, rule):
    name = "sgd" if field == "momentum" else "adam"
    with pytest.raises(ValidationError, match=rule):
        OptimizerConfig(name=name, **{field: value})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "adam", "momentum": 0.9}, "momentum=0.9 does not apply to optimizer 'adam'"),
        ({"name": "adagrad", "nesterov": True}, "nesterov=True does not apply"),
        ({"name": "nesterov", "nesterov": False}, "contradicts name 'nesterov'"),
        ({"name": "sgd", "nesterov": True}, "nesterov=True needs momentum > 0"),
        ({"name": "sgd", "amsgrad": True}, "amsgrad=True applies to adam and adamw"),
        ({"name": "adam", "centered": True}, "centered=True applies to rmsprop"),
        ({"lr_scaling": "linear"}, "needs base_batch_size"),
    ],
)
def test_options_that_do_not_fit_the_optimizer(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        OptimizerConfig(**kwargs)


def test_resolved_defaults():
    assert OptimizerConfig(name="momentum").resolved_momentum() == 0.9
    assert OptimizerConfig(name="sgd").resolved_momentum() == 0.0
    assert OptimizerConfig(name="sgd", momentum=0.5).resolved_momentum() == 0.5
    assert OptimizerConfig(name="adamw").resolved_weight_decay() == 0.01
    assert OptimizerConfig(name="adamw", weight_decay=0.0).resolved_weight_decay() == 0.0
    assert OptimizerConfig(name="adam").resolved_weight_decay() == 0.0


def test_unknown_key_and_bad_scaling_mode():
    with pytest.raises(ValidationError, match="extra"):
        OptimizerConfig(learning_rate=0.1)
    with pytest.raises(ValidationError, match="'none' or 'linear'"):
        OptimizerConfig(lr_scaling="sqrt")
