import pytest

from trainwise.checkpoint.drift import check_drift, config_drift
from trainwise.errors import CheckpointError

SAVED = {
    "seed": 0,
    "model": {"hidden": [32, 32]},
    "optimizer": {"lr": 0.01},
    "training": {"epochs": 5, "batch_size": 32, "progress": "auto"},
    "output": {"dir": "runs"},
}


def _with(**changes):
    import copy

    cfg = copy.deepcopy(SAVED)
    for key, value in changes.items():
        section, field = key.split("__")
        cfg[section][field] = value
    return cfg


def test_field_by_field_differences():
    assert config_drift(SAVED, _with(optimizer__lr=0.001, training__epochs=9)) == [
        ("optimizer.lr", 0.01, 0.001),
        ("training.epochs", 5, 9),
    ]


def test_compatible_changes_are_printed_not_refused():
    msgs = []
    changes = check_drift(
        SAVED,
        _with(training__epochs=9, output__dir="elsewhere", training__progress="off"),
        echo=msgs.append,
    )
    assert changes == [("training.epochs", 5, 9)]
    assert msgs == [
        "config changed since the checkpoint: training.epochs: 5 -> 9 (the run "
        "continues, but is no longer exactly what an uninterrupted run would give)"
    ]


@pytest.mark.parametrize("change", [dict(model__hidden=[8]), dict(training__batch_size=64)])
def test_breaking_changes_are_refused_with_an_explanation(change):
    with pytest.raises(CheckpointError, match="no longer a continuation") as info:
        check_drift(SAVED, _with(**change), echo=lambda *_: None)
    assert "->" in str(info.value) and "Start a new run" in str(info.value)
