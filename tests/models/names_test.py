import pytest

from trainwise.errors import ConfigError
from trainwise.models.names import canonical_name, normalize_name

KNOWN = ["relu", "leaky_relu", "sigmoid"]
ALIASES = {"lrelu": "leaky_relu", "logistic": "sigmoid"}


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("ReLU", "relu"), (" Leaky-ReLU ", "leaky_relu"), ("leaky relu", "leaky_relu"), (3, "3")],
)
def test_normalize_name(raw, normalized):
    assert normalize_name(raw) == normalized


def test_canonical_and_alias_spellings_resolve():
    assert canonical_name("Leaky-ReLU", KNOWN, ALIASES, kind="activation", field="f") == (
        "leaky_relu"
    )
    assert canonical_name("LRELU", KNOWN, ALIASES, kind="activation", field="f") == "leaky_relu"
    assert canonical_name("Logistic", KNOWN, ALIASES, kind="activation", field="f") == "sigmoid"


def test_unknown_name_message_exact():
    with pytest.raises(ConfigError) as info:
        canonical_name("relux", KNOWN, ALIASES, kind="activation", field="model.activation")
    assert str(info.value) == (
        "model.activation: 'relux' is not a known activation; allowed: relu, leaky_relu, sigmoid"
    )
    assert isinstance(info.value, ValueError)


def test_no_field_prefix_and_listed_aliases():
    with pytest.raises(ConfigError) as info:
        canonical_name("x", KNOWN, ALIASES, kind="thing", field=None, list_aliases=True)
    assert str(info.value) == (
        "'x' is not a known thing; allowed: relu, leaky_relu, sigmoid (aliases: lrelu, logistic)"
    )


def test_an_alias_target_must_itself_be_known():
    # an alias pointing outside the registry must not let an unknown name through
    with pytest.raises(ConfigError):
        canonical_name("odd", KNOWN, {"odd": "swish"}, kind="activation", field=None)
