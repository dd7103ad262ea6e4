from __future__ import annotations

import numpy as np
import pytest
import torch

from trainwise.data.class_weights import compute_class_weights
from trainwise.data.config import DataConfig
from trainwise.data.load import load_data, prepare_data
from trainwise.data.raw_dataset import RawDataset
from trainwise.errors import ConfigError, DataError


def _raw(n=100, classes=2, x=None, y=None, task="classification", **kw):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)) if x is None else x
    y = np.arange(n) % classes if y is None else y
    return RawDataset(x, y, kw.get("x_test"), kw.get("y_test"), task, kw.get("kind", "tabular"))


def test_pipeline_sizes_and_keras_order():
    x = np.arange(100, dtype=float)[:, None]
    b = prepare_data(_raw(x=x), DataConfig(standardize="none"))
    # test: last 20; validation: last 10% of the remaining 80
    assert b.x_test.flatten().tolist() == list(range(80, 100))
    assert b.x_val.flatten().tolist() == list(range(72, 80))
    assert b.x_train.flatten().tolist() == list(range(72))
    assert b.x_train.dtype == torch.float32 and b.y_train.dtype == torch.int64


def test_standardizer_fitted_on_train_only():
    x = np.arange(100, dtype=float)[:, None]  # later samples are larger
    b = prepare_data(_raw(x=x), DataConfig())
    assert abs(b.x_train.mean().item()) < 1e-5
    assert b.x_val.mean().item() > 1.5 and b.x_test.mean().item() > 2.0
    assert b.standardizer.mean.item() == pytest.approx(35.5)


def test_own_test_set_skips_test_split():
    raw = _raw(x_test=np.zeros((7, 3)), y_test=np.array([0, 1, 0, 1, 0, 1, 0]))
    b = prepare_data(raw, DataConfig(validation_split=0.2, test_split=0.5))
    assert len(b.x_test) == 7 and len(b.x_train) == 80 and len(b.x_val) == 20


def test_stratified_split_classes_and_seeds():
    y = np.array([0] * 70 + [1] * 30)  # sorted: a keras split would get class 1 only
    cfg = DataConfig(split="stratified", validation_split=0.25, test_split=0.2, standardize="none")
    b = prepare_data(_raw(y=y), cfg, seed=0)
    assert b.y_test.bincount().tolist() == [14, 6]
    assert b.y_val.bincount().tolist() == [14, 6]
    c = prepare_data(_raw(y=y), cfg, seed=1)
    assert torch.equal(b.x_test, c.x_test)  # the test set does not depend on the run seed
    assert not torch.equal(b.x_val, c.x_val)
    keras = prepare_data(_raw(y=y), DataConfig(test_split=0.2))
    assert keras.y_test.unique().tolist() == [1]


def test_stratified_regression_is_a_random_split():
    raw = _raw(y=np.linspace(0, 1, 100).astype(np.float32), task="regression")
    b = prepare_data(raw, DataConfig(split="stratified", standardize="none"), seed=0)
    assert b.task == "regression" and b.num_classes is None and b.output_dim == 1
    assert len(b.y_test) == 20 and b.y_test.dtype == torch.float32
    assert not torch.equal(b.y_test, torch.sort(b.y_test).values)


def test_same_seed_same_bundle():
    cfg = DataConfig(name="wine", split="stratified")
    a, b = load_data(cfg, seed=4), load_data(cfg, seed=4)
    for k in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        assert torch.equal(getattr(a, k), getattr(b, k))


def test_task_override_and_class_weights():
    b = prepare_data(_raw(), DataConfig(task="regression"))
    assert b.y_train.dtype == torch.float32 and b.task == "regression"
    y = np.array([0] * 90 + [1] * 10)
    rng = np.random.default_rng(1).permutation(100)
    b = prepare_data(_raw(y=y[rng]), DataConfig(class_weight="balanced"))
    assert torch.equal(b.class_weights, compute_class_weights(b.y_train, 2))
    assert b.class_weights[1] > b.class_weights[0]


def test_float_labels_that_are_whole_numbers_classify():
    b = prepare_data(_raw(y=(np.arange(100) % 3).astype(float)), DataConfig(task="classification"))
    assert b.num_classes == 3 and b.y_train.dtype == torch.int64


def test_declared_classes_and_names():
    b = prepare_data(_raw(classes=3), DataConfig(n_classes=5))
    assert b.num_classes == 5 and b.output_dim == 5 and b.class_names == ["0", "1", "2", "3", "4"]


# --- bad inputs: DataError / ConfigError naming field, value and what is allowed ------------


def test_empty_dataset():
    raw = RawDataset(
        np.zeros((0, 3)), np.zeros(0, dtype=int), None, None, "classification", "tabular"
    )
    with pytest.raises(
        DataError, match=r"data.name: 'mnist1d' has 0 samples; allowed: .*at least 2"
    ):
        prepare_data(raw, DataConfig())


def test_one_class():
    with pytest.raises(DataError, match=r"y: every label is '0', one class; allowed: at least 2"):
        prepare_data(_raw(classes=1), DataConfig())


def test_nan_and_inf_in_data():
    x = np.random.default_rng(0).normal(size=(100, 3))
    x[5, 1] = np.nan
    x[9, 0] = np.inf
    with pytest.raises(
        DataError, match=r"x: 2 NaN/Inf values \(the first in sample 5\); allowed: finite"
    ):
        prepare_data(_raw(x=x), DataConfig())
    with pytest.raises(DataError, match="y: 1 NaN/Inf"):
        prepare_data(_raw(y=np.r_[np.nan, np.zeros(99)], task="regression"), DataConfig())


def test_labels_outside_range():
    y = np.arange(100) % 3
    with pytest.raises(
        DataError,
        match=r"y: label 2 is outside 0..1 \(data.n_classes=2\); allowed: class indices 0..1",
    ):
        prepare_data(_raw(y=y), DataConfig(n_classes=2))
    with pytest.raises(DataError, match=r"y: label -1 is outside"):
        prepare_data(_raw(y=np.r_[-1, y[1:]]), DataConfig())


def test_non_integer_class_labels():
    with pytest.raises(DataError, match=r"y: 0.5 is not a class index; allowed: whole-number"):
        prepare_data(_raw(y=np.r_[0.5, np.zeros(99)]), DataConfig(task="classification"))
    with pytest.raises(DataError, match="allowed: numbers for regression"):
        prepare_data(_raw(y=np.array(["a", "b"] * 50)), DataConfig(task="regression"))


def test_mismatched_lengths():
    with pytest.raises(
        DataError, match=r"y: 99 targets for 100 samples of x; allowed: one per sample"
    ):
        prepare_data(_raw(y=np.arange(99) % 2), DataConfig())
    raw = _raw(x_test=np.zeros((5, 4)), y_test=np.zeros(5, dtype=int))
    with pytest.raises(DataError, match=r"x_test: sample shape \(4,\); allowed: .*\(3,\)"):
        prepare_data(raw, DataConfig())


def test_target_shape():
    with pytest.raises(DataError, match=r"y: shape \(100, 2\) for classification; allowed: \(N,\)"):
        prepare_data(_raw(y=np.zeros((100, 2), dtype=int)), DataConfig())
    b = prepare_data(_raw(y=np.ones((100, 2)), task="regression"), DataConfig())
    assert b.y_train.shape == (72, 2) and b.output_dim == 2


def test_split_too_small():
    with pytest.raises(DataError, match=r"data.validation_split: 0.1 of 8 samples holds out 0"):
        prepare_data(_raw(n=10), DataConfig(test_split=0.2, validation_split=0.1))


def test_file_dataset_without_path():
    with pytest.raises(
        ConfigError, match=r"data.path: None is missing; .*required when data.name is 'csv'"
    ):
        load_data(DataConfig(name="csv"))


def test_regression_with_class_weight_or_sampler():
    raw = _raw(y=np.linspace(0, 1, 100), task="regression")
    with pytest.raises(ConfigError, match="data.class_weight: 'balanced' needs a classification"):
        prepare_data(raw, DataConfig(class_weight="balanced"))
    with pytest.raises(ConfigError, match="data.balanced_sampler: True needs a classification"):
        prepare_data(raw, DataConfig(balanced_sampler=True))


def test_errors_are_value_errors_too():
    with pytest.raises(ValueError):
        prepare_data(_raw(classes=1), DataConfig())
