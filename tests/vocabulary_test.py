"""The shared vocabulary: tasks, name spelling, metric direction, number formatting."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trainwise.errors import ConfigError
from trainwise.vocabulary import (
    TASKS,
    canonical,
    check_task,
    format_metric,
    format_number,
    format_value,
    infer_task,
    metric_mode,
    name_key,
    normalise_name,
)

# ------------------------------------------------------------------------------ tasks


def test_tasks_are_the_three_known_ones():
    assert TASKS == ("classification", "binary", "regression")


@pytest.mark.parametrize("task", TASKS)
def test_check_task_returns_a_known_task(task):
    assert check_task(task) == task


def test_check_task_names_field_value_and_allowed():
    with pytest.raises(ConfigError) as info:
        check_task("multiclass", field="cross_validate.task")
    assert str(info.value) == (
        "cross_validate.task: 'multiclass' is not a known task; "
        "allowed: classification, binary, regression"
    )


def test_check_task_none_only_when_allowed():
    assert check_task(None, allow_none=True) is None
    with pytest.raises(ConfigError, match=r"allowed: classification, binary, regression$"):
        check_task(None)
    with pytest.raises(ConfigError, match=r"regression, or None$"):
        check_task("ranking", allow_none=True)


@pytest.mark.parametrize(
    "targets, task",
    [
        (torch.tensor([0, 2, 1]), "classification"),  # integer labels
        (np.array([0, 2, 1]), "classification"),
        (torch.tensor([0, 1, 1]), "classification"),  # 0/1 ints: two-class, not "binary"
        (np.array([0, 1, 1], dtype=np.uint8), "classification"),
        (np.array([True, False]), "classification"),
        (np.array(["cat", "dog"]), "classification"),
        (torch.tensor([0.5, 1.5]), "regression"),  # floats
        (np.array([0.5, 1.5], dtype=np.float32), "regression"),
        (torch.tensor([[0.0, 1.0], [1.0, 0.0]]), "regression"),  # float one-hot rows
        (torch.tensor([0.0, 1.0, 1.0]), "regression"),  # float 0/1
        (torch.tensor([0.5], dtype=torch.float16), "regression"),
        ([0, 1, 2], "classification"),  # a list is read as numpy reads it
        ([0.5, 1.0], "regression"),
        ([[0, 1], [2]], None),  # ragged: not array-like
        (None, None),
    ],
)
def test_infer_task_reads_the_dtype(targets, task):
    assert infer_task(targets) == task


# ------------------------------------------------------------------------------ names


@pytest.mark.parametrize(
    "raw, key",
    [
        (" Leaky-ReLU ", "leaky_relu"),
        ("leaky relu", "leaky_relu"),
        ("Adam-W", "adam_w"),
        ("MeanSquaredError", "mean_squared_error"),
        ("GELU", "gelu"),
        ("RMSprop", "rmsprop"),
        ("Kaiming_Normal", "kaiming_normal"),
        ("one--cycle", "one_cycle"),
    ],
)
def test_normalise_name(raw, key):
    assert normalise_name(raw) == key


@pytest.mark.parametrize(
    "raw, key", [("Adam-W", "adamw"), ("AdamW", "adamw"), ("adam_w", "adamw"), ("SGD", "sgd")]
)
def test_name_key_ignores_separators(raw, key):
    assert name_key(raw) == key


OPTIMIZERS = ("sgd", "adam", "adamw")
ACTIVATIONS = ("relu", "leaky_relu", "gelu")
SCHEDULES = ("constant", "onecycle", "multistep", "per_epoch")


@pytest.mark.parametrize(
    "raw, allowed, aliases, expected",
    [
        ("Adam-W", OPTIMIZERS, {}, "adamw"),
        ("AdamW", OPTIMIZERS, {}, "adamw"),
        ("ADAM", OPTIMIZERS, {}, "adam"),
        (" sgd ", OPTIMIZERS, {}, "sgd"),
        ("Leaky-ReLU", ACTIVATIONS, {}, "leaky_relu"),
        ("LeakyReLU", ACTIVATIONS, {}, "leaky_relu"),
        ("leakyrelu", ACTIVATIONS, {}, "leaky_relu"),
        ("ReLU", ACTIVATIONS, {}, "relu"),
        ("lrelu", ACTIVATIONS, {"lrelu": "leaky_relu"}, "leaky_relu"),
        ("one_cycle", SCHEDULES, {}, "onecycle"),
        ("OneCycleLR", SCHEDULES, {"onecyclelr": "onecycle"}, "onecycle"),
        ("multi-step", SCHEDULES, {}, "multistep"),
        ("PerEpoch", SCHEDULES, {}, "per_epoch"),
        ("perepoch", SCHEDULES, {}, "per_epoch"),
    ],
)
def test_canonical_reads_every_spelling_the_same_way(raw, allowed, aliases, expected):
    assert canonical(raw, allowed, aliases) == expected


def test_canonical_did_you_mean_message():
    with pytest.raises(ConfigError) as info:
        canonical("adamm", OPTIMIZERS, field="optimizer.name", kind="optimizer")
    assert str(info.value) == (
        "optimizer.name: 'adamm' is not a known optimizer; did you mean 'adam'? "
        "allowed: sgd, adam, adamw"
    )


def test_canonical_hint_names_the_canonical_name_of_a_close_alias():
    with pytest.raises(ConfigError, match="did you mean 'leaky_relu'"):
        canonical("lrelux", ACTIVATIONS, {"lrelu": "leaky_relu"}, kind="activation")


def test_canonical_without_close_name_has_no_hint_and_no_field_prefix():
    with pytest.raises(ConfigError) as info:
        canonical("zzz", ACTIVATIONS, kind="activation")
    assert str(info.value) == "'zzz' is not a known activation; allowed: relu, leaky_relu, gelu"


def test_canonical_lists_aliases_and_note_when_asked():
    with pytest.raises(ConfigError) as info:
        canonical(
            "zzz",
            ["he_normal"],
            {"kaiming_normal": "he_normal"},
            kind="x",
            list_aliases=True,
            note=" (see docs)",
        )
    assert str(info.value).endswith("allowed: he_normal (aliases: kaiming_normal) (see docs)")


def test_canonical_refuses_a_non_string():
    with pytest.raises(ConfigError) as info:
        canonical(3, OPTIMIZERS, field="optimizer.name", kind="optimizer")
    assert str(info.value) == (
        "optimizer.name: must be a string naming an optimizer, got 3; allowed: sgd, adam, adamw"
    )


def test_canonical_ignores_an_alias_to_an_unknown_name():
    with pytest.raises(ConfigError):
        canonical("odd", ACTIVATIONS, {"odd": "swish"}, kind="activation")


def test_canonical_never_merges_names_that_differ_only_in_underscores():
    with pytest.raises(ConfigError):
        canonical("ab", ["a_b", "ab_"], kind="x")
    assert canonical("a_b", ["a_b", "ab_"]) == "a_b"


# ------------------------------------------------------------------- metric direction


@pytest.mark.parametrize(
    "name, mode",
    [
        ("val_loss", "min"),
        ("loss", "min"),
        ("final_val_loss", "min"),
        ("test_mse", "min"),
        ("val_mae", "min"),
        ("val_error", "min"),
        ("val_accuracy", "max"),
        ("test_accuracy", "max"),
        ("val_acc", "max"),
        ("val_auc", "max"),
        ("val_AUC", "max"),
        ("f1", "max"),
        ("val_precision", "max"),
        ("recall", "max"),
        ("wall_time", "min"),  # unknown: min, as Keras
        ("lr", "min"),
    ],
)
def test_metric_mode(name, mode):
    assert metric_mode(name) == mode


# -------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "x, digits, text",
    [
        (0.000123456, 3, "0.000123"),
        (1234.5, 3, "1.23e+03"),
        (0.5, 3, "0.5"),
        (3, 3, "3"),
        (float("nan"), 3, "nan"),
        (float("inf"), 3, "inf"),
        (None, 3, "n/a"),
        (0.000123456, 4, "0.0001235"),
    ],
)
def test_format_number(x, digits, text):
    assert format_number(x, digits) == text


@pytest.mark.parametrize(
    "v, digits, text",
    [
        (0.000123456, 3, "0.000123"),
        (0.000123456, 4, "0.0001235"),
        (True, 3, "true"),
        (False, 3, "false"),
        (7, 3, "7"),
        ("adam", 3, "adam"),
        ([1, 2], 3, "[1, 2]"),
        (["a"], 3, '["a"]'),
        ({"a": 1}, 3, '{"a": 1}'),
        (float("nan"), 4, "nan"),
        (list(range(100)), 3, None),
    ],
)
def test_format_value(v, digits, text):
    out = format_value(v, digits)
    if text is None:  # long lists are cut to 160 characters
        assert len(out) == 160 and out.endswith("...")
    else:
        assert out == text


@pytest.mark.parametrize(
    "metric, value, kwargs, text",
    [
        ("test_accuracy", 0.9512, {}, "95.12%"),
        ("val_accuracy", 0.012, {"diff": True}, "+1.20 pp"),
        ("val_accuracy", -0.012, {"diff": True}, "-1.20 pp"),
        ("val_accuracy", 0.9512, {"unit": False}, "95.12"),
        ("val_loss", 0.21345, {}, "0.2135"),
        ("val_loss", 0.5, {"diff": True}, "+0.5"),
        ("val_loss", None, {}, "–"),
        ("val_loss", float("nan"), {}, "–"),
        ("val_loss", "x", {}, "–"),
    ],
)
def test_format_metric(metric, value, kwargs, text):
    assert format_metric(metric, value, **kwargs) == text
