import pytest
from pydantic import ValidationError

from trainwise.schedules.config import SCHEDULES, ScheduleConfig


def test_defaults():
    cfg = ScheduleConfig()
    assert cfg.name == "constant" and cfg.unit == "epoch" and cfg.factor == 0.98
    assert (cfg.gamma, cfg.step_size, cfg.milestones) == (0.1, 10, None)
    assert (cfg.pct_start, cfg.div_factor, cfg.final_div_factor, cfg.max_lr) == (
        0.3,
        25.0,
        1e4,
        None,
    )


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("one_cycle", "onecycle"),
        ("OneCycleLR", "onecycle"),
        ("multi_step", "multistep"),
        ("step_decay", "step"),
        ("per-epoch", "per_epoch"),
        ("cosine_decay", "cosine"),
        ("ExponentialDecay", "exponential"),
    ],
)
def test_aliases(given, stored):
    extra = {"milestones": [1]} if stored == "multistep" else {}
    assert ScheduleConfig(name=given, **extra).name == stored


def test_every_name_is_accepted():
    for name in SCHEDULES:
        extra = {"milestones": [2]} if name == "multistep" else {}
        assert ScheduleConfig(name=name, **extra).name == name


def test_unknown_name_suggests():
    with pytest.raises(ValidationError) as info:
        ScheduleConfig(name="cosin")
    assert "'cosin' is not a known schedule; did you mean 'cosine'?" in str(info.value)
    assert "allowed: constant, exponential, step, multistep, per_epoch" in str(info.value)


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("decay_rate", 0.0, r"must be in \(0, 1\]"),
        ("decay_rate", 1.5, r"must be in \(0, 1\]"),
        ("gamma", 2.0, r"must be in \(0, 1\]"),
        ("factor", -0.98, r"must be in \(0, 1\]"),
        ("decay_steps", 0, "must be an integer >= 1"),
        ("step_size", 0, "must be an integer >= 1"),
        ("min_lr", -1e-5, "must be >= 0"),
        ("end_lr", -1.0, "must be >= 0"),
        ("warmup_steps", -1, "must be >= 0"),
        ("max_lr", 0.0, "must be > 0"),
        ("pct_start", 1.0, r"must be in \(0, 1\)"),
        ("div_factor", 0.5, "must be >= 1"),
    ],
)
def test_ranges(field, value, rule):
    with pytest.raises(ValidationError, match=rule):
        ScheduleConfig(**{field: value})


@pytest.mark.parametrize("milestones", [[], [3, 2], [2, 2], [0, 5]])
def test_milestones_strictly_increasing_and_positive(milestones):
    with pytest.raises(ValidationError, match="strictly increasing integers >= 1"):
        ScheduleConfig(name="multistep", milestones=milestones)


def test_cross_field_rules():
    with pytest.raises(ValidationError, match="'multistep' needs milestones"):
        ScheduleConfig(name="multistep")
    with pytest.raises(ValidationError, match="give one of them, not both"):
        ScheduleConfig(name="cosine", warmup_steps=5, warmup_epochs=1)
    with pytest.raises(ValidationError, match="warmup applies to the cosine and linear"):
        ScheduleConfig(name="step", warmup_steps=5)
    assert ScheduleConfig(name="linear", warmup_epochs=0.5).warmup_epochs == 0.5


def test_unit_literal_and_unknown_key():
    with pytest.raises(ValidationError, match="'epoch' or 'step'"):
        ScheduleConfig(unit="batch")
    with pytest.raises(ValidationError, match="extra"):
        ScheduleConfig(decay=0.5)
