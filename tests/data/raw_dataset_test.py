from __future__ import annotations

import numpy as np

from trainwise.data.raw_dataset import RawDataset, kind_of, task_of


def test_kind_of():
    assert kind_of(np.zeros((5, 3))) == "tabular"
    assert kind_of(np.zeros((5, 1, 40))) == "signal"
    assert kind_of(np.zeros((5, 3, 8, 8))) == "image"
    assert kind_of(np.zeros(5)) is None


def test_task_of():
    assert task_of(np.array([0, 1])) == "classification"
    assert task_of(np.array(["a", "b"])) == "classification"
    assert task_of(np.array([True, False])) == "classification"
    assert task_of(np.array([0.5, 1.0], dtype=np.float32)) == "regression"


def test_is_a_tuple_of_six_plus_names():
    raw = RawDataset(np.zeros((2, 1)), np.zeros(2), None, None, "regression", "tabular")
    x, y, xt, yt, task, kind, names = raw
    assert (task, kind, names) == ("regression", "tabular", None)
