import pytest

from trainwise.errors import ConfigError
from trainwise.losses.names import LOSSES, canonical_loss_name, loss_input, loss_task


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("mean_squared_error", "mse"),
        ("MSE", "mse"),
        ("MeanSquaredError", "mse"),
        ("mean_absolute_error", "mae"),
        ("mae", "mae"),
        ("huber", "huber"),
        ("huber_loss", "huber"),
        ("Huber", "huber"),
        ("binary_crossentropy", "bce"),
        ("BinaryCrossentropy", "bce"),
        ("bce_with_logits", "bce_with_logits"),
        ("categorical_crossentropy", "categorical_cross_entropy"),
        ("CategoricalCrossentropy", "categorical_cross_entropy"),
        ("sparse_categorical_crossentropy", "cross_entropy"),
        ("SparseCategoricalCrossentropy", "cross_entropy"),
        ("crossentropy", "cross_entropy"),
        ("cross_entropy", "cross_entropy"),
        ("cross-entropy", "cross_entropy"),
        (" Cross_Entropy ", "cross_entropy"),
    ],
)
def test_keras_aliases_resolve(alias, canonical):
    assert canonical_loss_name(alias) == canonical


def test_every_canonical_name_maps_to_itself():
    for name in LOSSES:
        assert canonical_loss_name(name) == name


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [("mean_squared_eror", "'mse'"), ("crossentropyy", "'cross_entropy'"), ("hubber", "'huber'")],
)
def test_unknown_name_suggests_closest_and_lists_allowed(typo, suggestion):
    with pytest.raises(ConfigError) as info:
        canonical_loss_name(typo)
    msg = str(info.value)
    assert msg.startswith(f"loss.name: {typo!r} is not a known loss")
    assert f"did you mean {suggestion}?" in msg
    assert "allowed: mse, mae, huber, bce, bce_with_logits, cross_entropy" in msg


def test_unknown_name_without_close_match_has_no_suggestion():
    with pytest.raises(ConfigError) as info:
        canonical_loss_name("zzzzzz")
    assert "did you mean" not in str(info.value)


def test_non_string_name_is_rejected():
    with pytest.raises(ConfigError, match="must be a string"):
        canonical_loss_name(3)  # type: ignore[arg-type]


def test_tasks():
    assert [loss_task(n) for n in ("mse", "mae", "huber")] == ["regression"] * 3
    assert loss_task("bce") == loss_task("bce_with_logits") == "binary"
    assert loss_task("sparse_categorical_crossentropy") == "classification"
    assert loss_task("categorical_crossentropy") == "classification"


def test_loss_input_conventions_and_override():
    assert loss_input("binary_crossentropy") == "probabilities"
    assert loss_input("binary_crossentropy", from_logits=True) == "logits"
    assert loss_input("bce_with_logits") == "logits"
    assert loss_input("cross_entropy") == "logits"
    assert loss_input("categorical_crossentropy", from_logits=False) == "probabilities"
    assert loss_input("mse", from_logits=True) == "values"
