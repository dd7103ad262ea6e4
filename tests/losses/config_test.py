import pytest
from pydantic import ValidationError

from trainwise.losses.config import LossConfig


def test_defaults():
    cfg = LossConfig()
    assert (cfg.name, cfg.label_smoothing, cfg.delta, cfg.flooding, cfg.from_logits) == (
        "cross_entropy",
        0.0,
        1.0,
        None,
        None,
    )


def test_alias_is_stored_canonical():
    assert LossConfig(name="sparse_categorical_crossentropy").name == "cross_entropy"
    assert LossConfig(name="binary_crossentropy", from_logits=True).name == "bce"


def test_unknown_name_message_names_value_suggestion_and_allowed():
    with pytest.raises(ValidationError) as info:
        LossConfig(name="mean_squared_eror")
    msg = str(info.value)
    assert "'mean_squared_eror' is not a known loss; did you mean 'mse'?" in msg
    assert "allowed: mse, mae, huber" in msg


def test_assignment_is_validated():
    cfg = LossConfig()
    cfg.name = "mean_absolute_error"
    assert cfg.name == "mae"
    with pytest.raises(ValidationError, match="not a known loss"):
        cfg.name = "relux"


@pytest.mark.parametrize("value", [-0.1, 1.0, 1.5])
def test_label_smoothing_range(value):
    with pytest.raises(ValidationError, match=r"must be in \[0, 1\)"):
        LossConfig(label_smoothing=value)


def test_delta_and_flooding_ranges():
    with pytest.raises(ValidationError, match="must be > 0"):
        LossConfig(name="huber", delta=0.0)
    with pytest.raises(ValidationError, match="must be >= 0"):
        LossConfig(flooding=-0.01)
    assert LossConfig(flooding=0.02).flooding == 0.02


def test_regression_rejects_classification_options():
    with pytest.raises(ValidationError, match="label_smoothing=0.1 only applies"):
        LossConfig(name="mse", label_smoothing=0.1)
    with pytest.raises(ValidationError, match="from_logits=True only applies"):
        LossConfig(name="huber", from_logits=True)


def test_from_logits_contradiction():
    with pytest.raises(ValidationError, match="contradicts name 'bce_with_logits'"):
        LossConfig(name="bce_with_logits", from_logits=False)


def test_unknown_key_is_an_error():
    with pytest.raises(ValidationError, match="extra"):
        LossConfig(smoothing=0.1)
