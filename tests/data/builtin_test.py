from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs, make_circles

import trainwise.data.builtin as builtin
from trainwise.data.builtin import (
    BUILTIN_DATASETS,
    MNIST1D_CACHE_NAME,
    load_builtin,
    load_mnist1d_arrays,
)
from trainwise.data.config import DataConfig
from trainwise.data.load import load_data
from trainwise.errors import ConfigError


def test_mnist1d_shapes_at_validation_split_0_1(mnist1d_cache):
    b = load_data(DataConfig(name="mnist1d", validation_split=0.1), cache_dir=mnist1d_cache)
    assert b.x_train.shape == (3600, 1, 40)
    assert b.x_val.shape == (400, 1, 40)
    assert b.x_test.shape == (1000, 1, 40)
    assert b.y_train.dtype.is_floating_point is False and b.num_classes == 10
    assert (b.kind, b.task, b.input_shape) == ("signal", "classification", (1, 40))
    assert sorted(b.y_test.unique().tolist()) == list(range(10))


def test_mnist1d_second_load_reads_the_cache(mnist1d_cache, monkeypatch):
    first = load_mnist1d_arrays(mnist1d_cache)

    def no_generation():
        raise AssertionError("generated again instead of reading the cache")

    monkeypatch.setattr(builtin, "_generate_mnist1d", no_generation)
    second = load_mnist1d_arrays(mnist1d_cache)
    assert all(np.array_equal(first[k], second[k]) for k in ("x", "y", "x_test", "y_test"))
    assert [p.name for p in mnist1d_cache.iterdir()] == [MNIST1D_CACHE_NAME]  # no temp files


def _fake_make_dataset(args):
    np.random.seed(42)  # as mnist1d does
    random.seed(42)
    return {
        "x": np.ones((4, 40)),
        "y": np.arange(4),
        "x_test": np.zeros((2, 40)),
        "y_test": np.arange(2),
        "t": None,
        "templates": None,
    }


def test_generation_restores_global_rngs_and_rewrites_a_corrupt_cache(tmp_path, monkeypatch):
    import mnist1d.data

    monkeypatch.setattr(mnist1d.data, "make_dataset", _fake_make_dataset)
    (tmp_path / MNIST1D_CACHE_NAME).write_bytes(b"truncated")
    np.random.seed(7)
    random.seed(7)
    arrays = load_mnist1d_arrays(tmp_path)
    expected_np = np.random.RandomState(7).rand()
    expected_py = random.Random(7).random()
    assert np.random.rand() == expected_np and random.random() == expected_py
    assert arrays["x"].shape == (4, 40)
    with np.load(tmp_path / MNIST1D_CACHE_NAME, allow_pickle=False) as f:
        assert f["x_test"].shape == (2, 40)


def test_unwritable_cache_still_loads(tmp_path, monkeypatch):
    import mnist1d.data

    monkeypatch.setattr(mnist1d.data, "make_dataset", _fake_make_dataset)
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    assert load_mnist1d_arrays(blocker / "sub")["y"].tolist() == [0, 1, 2, 3]


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINWISE_CACHE", str(tmp_path))
    assert builtin.default_cache_dir() == tmp_path


EXPECTED = {
    # name: (raw x shape, task, kind, classes)
    "digits": ((1797, 1, 8, 8), "classification", "image", 10),
    "circles": ((1000, 2), "classification", "tabular", 2),
    "blobs": ((1000, 2), "classification", "tabular", 3),
    "moons": ((1000, 2), "classification", "tabular", 2),
    "classification": ((1000, 20), "classification", "tabular", 2),
    "regression": ((1000, 10), "regression", "tabular", None),
    "iris": ((150, 4), "classification", "tabular", 3),
    "wine": ((178, 13), "classification", "tabular", 3),
    "breast_cancer": ((569, 30), "classification", "tabular", 2),
    "diabetes": ((442, 10), "regression", "tabular", None),
}


def test_expected_table_covers_every_builtin():
    assert set(EXPECTED) | {"mnist1d"} == set(BUILTIN_DATASETS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_builtin_loads(name):
    shape, task, kind, classes = EXPECTED[name]
    raw = load_builtin(DataConfig(name=name))
    assert raw.x.shape == shape and raw.x.dtype == np.float32
    assert (raw.task, raw.kind) == (task, kind)
    b = load_data(DataConfig(name=name))
    assert b.num_classes == classes
    n_test = int(shape[0] * 0.2)
    n_val = int((shape[0] - n_test) * 0.1)
    assert (len(b.x_train), len(b.x_val), len(b.x_test)) == (
        shape[0] - n_test - n_val,
        n_val,
        n_test,
    )
    assert b.y_train.dtype == (torch.int64 if classes else torch.float32)


def test_autotrainer_circles_and_blobs_reproduced():
    x, y = make_circles(1000, noise=0.1, random_state=1)
    raw = load_builtin(DataConfig(name="circles"))
    assert np.allclose(raw.x, x, atol=1e-6) and np.array_equal(raw.y, y)
    x, y = make_blobs(1000, centers=3, n_features=2, cluster_std=2, random_state=2)
    raw = load_builtin(DataConfig(name="blobs"))
    assert np.allclose(raw.x, x, atol=1e-5) and np.array_equal(raw.y, y)


def test_digits_pixels_are_raw_counts():
    raw = load_builtin(DataConfig(name="digits"))
    assert raw.x.min() == 0 and raw.x.max() == 16


def test_bundled_tables_are_shuffled_once_deterministically():
    a = load_builtin(DataConfig(name="iris"))
    b = load_builtin(DataConfig(name="iris"))
    assert np.array_equal(a.y, b.y)
    assert not np.array_equal(a.y, np.sort(a.y))  # sklearn ships iris sorted by class
    c = load_builtin(DataConfig(name="iris", data_seed=5))
    assert not np.array_equal(a.y, c.y)


def test_generator_settings():
    raw = load_builtin(DataConfig(name="blobs", n_classes=5, n_features=4, n_samples=100))
    assert raw.x.shape == (100, 4) and set(raw.y.tolist()) == set(range(5))
    raw = load_builtin(DataConfig(name="classification", n_classes=6, n_features=5))
    assert set(raw.y.tolist()) == set(range(6))
    with pytest.raises(ConfigError, match="data.n_features: 2 is too few for 10 classes"):
        load_builtin(DataConfig(name="classification", n_classes=10, n_features=2))
    with pytest.raises(ConfigError, match="data.n_features: 3 is not possible for 'circles'"):
        load_builtin(DataConfig(name="circles", n_features=3))
    with pytest.raises(ConfigError, match="not a built-in dataset"):
        load_builtin(DataConfig(name="csv"))
