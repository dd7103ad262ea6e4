import pytest

from trainwise.config.overrides import apply_overrides, parse_value
from trainwise.errors import ConfigError


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1e-4", 1e-4),
        ("0.5", 0.5),
        ("3", 3),
        ("true", True),
        ("False", False),
        ("null", None),
        ("[32, 64]", [32, 64]),
        ("adam", "adam"),
        ("a: b: c", "a: b: c"),
    ],
)
def test_typed_parsing(text, expected):
    value = parse_value(text)
    assert value == expected and type(value) is type(expected)


def test_nested_override_creates_sections_and_does_not_mutate_input():
    base = {"optimizer": {"lr": 0.1}}
    out = apply_overrides(base, ["optimizer.lr=1e-3", "model.channels=[8,16]", "seed=3"])
    assert out == {"optimizer": {"lr": 1e-3}, "model": {"channels": [8, 16]}, "seed": 3}
    assert base == {"optimizer": {"lr": 0.1}}


def test_malformed_overrides_are_all_reported():
    with pytest.raises(ConfigError) as info:
        apply_overrides({"seed": 1}, ["noequals", "seed.x=1", "a..b=2"])
    assert len(info.value.errors) == 3
    assert "seed is a value (1), not a section" in str(info.value)
