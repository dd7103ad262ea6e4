from __future__ import annotations

import torch

from trainwise.data.bundle import DataBundle
from trainwise.data.config import DataConfig
from trainwise.data.load import load_data


def _bundle(y, task, classes=None):
    return DataBundle(
        torch.zeros(len(y), 3),
        y,
        None,
        None,
        None,
        None,
        task=task,
        num_classes=classes,
        input_shape=(3,),
        kind="tabular",
        name="toy",
    )


def test_output_dim():
    assert _bundle(torch.tensor([0, 1, 2]), "classification", 3).output_dim == 3
    assert _bundle(torch.zeros(4), "regression").output_dim == 1
    assert _bundle(torch.zeros(4, 2), "regression").output_dim == 2


def test_summary_lists_splits_classes_and_shape():
    b = load_data(DataConfig(name="iris"))
    lines = b.summary().splitlines()
    assert lines[0] == "iris: tabular classification, 3 classes, input shape (4,)"
    assert lines[1] == "train 108, val 12, test 30"
    assert lines[2] == "standardized per feature, fitted on train"
    none = load_data(DataConfig(name="diabetes", validation_split=0, standardize="none"))
    assert none.summary().splitlines()[1:] == ["train 354, val none, test 88"]
    assert "1 target(s)" in none.summary()
