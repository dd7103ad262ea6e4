import pytest
from pydantic import ValidationError

from trainwise.cli.commands import DEFAULT_RECIPE
from trainwise.errors import ConfigError, ConfigTypeError
from trainwise.run import Config, load_config


def _errors(tmp_path, text, overrides=None):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(p, overrides)
    return info.value.errors


def test_defaults_validate_and_recipe_loads():
    cfg = load_config(DEFAULT_RECIPE)
    assert cfg.model.channels == [32, 32, 64, 64] and cfg.optimizer.name == "adamw"


def test_unknown_key_gets_the_closest_valid_key(tmp_path):
    errors = _errors(tmp_path, "optimizer:\n  learning_rate: 0.1\n  lrr: 0.1\n")
    assert any("optimizer.lrr: unknown key; did you mean 'optimizer.lr'?" in e for e in errors)
    errors = _errors(tmp_path, "modle:\n  name: cnn\n")
    assert "did you mean 'model'?" in errors[0]


def test_all_errors_are_reported_together(tmp_path):
    errors = _errors(
        tmp_path,
        "optimizer:\n  lr: -1\ntraining:\n  batch_size: 0\n  epochs: many\n"
        "data:\n  validation_split: 1.5\nmodel:\n  activation: relux\n",
    )
    joined = "\n".join(errors)
    assert len(errors) == 5, joined
    for field in (
        "optimizer.lr: -1",
        "training.batch_size: 0",
        "training.epochs: 'many'",
        "data.validation_split: 1.5",
        "model.activation: 'relux'",
    ):
        assert field in joined
    assert "allowed" in joined


def test_overrides_are_typed_and_validated(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("optimizer:\n  lr: 1e-3\n")
    cfg = load_config(p, ["optimizer.lr=1e-4", "model.dropout=0.2", "training.progress=off"])
    assert cfg.optimizer.lr == 1e-4 and cfg.model.dropout == 0.2
    assert cfg.training.progress == "off"
    errors = _errors(tmp_path, "{}", ["optimizer.lr=0"])
    assert errors[0].startswith("optimizer.lr: 0")


def test_examples_validate():
    from pathlib import Path

    examples = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))
    assert len(examples) >= 4
    for path in examples:
        load_config(path)
    assert (
        Path(__file__).parents[2] / "examples" / "mnist1d.yaml"
    ).read_text() == DEFAULT_RECIPE.read_text()


@pytest.mark.parametrize(
    "call",
    [
        lambda: Config.model_validate({"optimizer": {"lr": -1}, "training": {"epochs": "x"}}),
        lambda: Config(optimizer={"lr": -1}, training={"epochs": "x"}),
        lambda: Config.model_validate_json(
            '{"optimizer": {"lr": -1}, "training": {"epochs": "x"}}'
        ),
    ],
    ids=["model_validate", "constructor", "model_validate_json"],
)
def test_every_pydantic_entry_point_raises_the_project_error(call):
    """Config.model_validate (and the constructor, and JSON) word errors as load_config does:
    field, value, what is allowed, all problems at once; never pydantic's ValidationError."""
    with pytest.raises(ConfigError) as info:
        call()
    assert not isinstance(info.value, ValidationError)
    assert info.value.errors[0] == "optimizer.lr: -1 is not allowed: must be > 0"
    assert info.value.errors[1].startswith("training.epochs: 'x' is not allowed")
    assert str(info.value).startswith("2 problems in the config:")


def test_model_validate_reads_exactly_as_load_config(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("optimzer:\n  lr: 0.1\nmodel:\n  activation: relux\n")
    with pytest.raises(ConfigError) as from_file:
        load_config(p)
    with pytest.raises(ConfigError) as direct:
        Config.model_validate({"optimzer": {"lr": 0.1}, "model": {"activation": "relux"}})
    assert str(direct.value) == str(from_file.value)
    assert "did you mean 'optimizer'?" in str(direct.value)


def test_model_validate_wrong_types_and_good_input():
    with pytest.raises(ConfigTypeError, match=r"seed: 'a' is not allowed"):
        Config.model_validate({"seed": "a"})
    with pytest.raises(ConfigError, match=r"config: a list is not allowed; allowed: a mapping"):
        Config.model_validate([("seed", 1)])
    assert Config.model_validate({"seed": 4}).seed == 4 and Config(seed=3).seed == 3
    cfg = Config.model_validate({"optimizer": {"lr": 3e-3}})
    assert Config.model_validate(cfg) == cfg and cfg.optimizer.lr == 3e-3
