import pytest

from trainwise.cli.commands import DEFAULT_RECIPE
from trainwise.errors import ConfigError
from trainwise.run import load_config


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
