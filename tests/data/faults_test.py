from __future__ import annotations

import numpy as np
import pytest
import torch

from trainwise.data.bundle import DataBundle
from trainwise.data.config import DataConfig, FaultConfig
from trainwise.data.faults import inject_faults
from trainwise.data.load import load_data
from trainwise.errors import DataError


def _bundle(n=200, classes=4, task="classification"):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g) * torch.tensor([1.0, 2.0, 4.0])
    y = torch.arange(n) % classes if task == "classification" else torch.randn(n, generator=g)
    xv, xt = torch.randn(50, 3, generator=g), torch.randn(40, 3, generator=g)
    yv, yt = torch.arange(50) % classes, torch.arange(40) % classes
    return DataBundle(
        x,
        y,
        xv,
        yv,
        xt,
        yt,
        task=task,
        num_classes=classes if task != "regression" else None,
        input_shape=(3,),
        kind="tabular",
        name="toy",
    )


def test_no_faults_returns_the_bundle_itself():
    b = _bundle()
    assert inject_faults(b, FaultConfig(), seed=0) is b


def test_sort_by_label_keeps_pairs():
    b = _bundle()
    f = inject_faults(b, FaultConfig(sort_by_label=True), seed=0)
    assert (f.y_train[1:] >= f.y_train[:-1]).all()
    # every (x, y) pair survives: row sums identify rows
    before = sorted(zip(b.x_train.sum(1).tolist(), b.y_train.tolist()))
    after = sorted(zip(f.x_train.sum(1).tolist(), f.y_train.tolist()))
    assert before == after
    assert f.faults == ["sort_by_label"]


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.333])
def test_label_noise_changes_exact_fraction_to_other_classes(fraction):
    b = _bundle()
    f = inject_faults(b, FaultConfig(label_noise=fraction), seed=7)
    changed = f.y_train != b.y_train
    assert int(changed.sum()) == round(fraction * 200)
    assert ((f.y_train >= 0) & (f.y_train < 4)).all()
    assert torch.equal(b.y_train, torch.arange(200) % 4)  # input bundle untouched
    assert torch.equal(f.y_val, b.y_val)  # validation labels stay clean
    again = inject_faults(b, FaultConfig(label_noise=fraction), seed=7)
    other = inject_faults(b, FaultConfig(label_noise=fraction), seed=8)
    assert torch.equal(again.y_train, f.y_train)
    assert not torch.equal(other.y_train, f.y_train)


def test_nan_fraction_exact_and_train_only():
    b = _bundle()
    f = inject_faults(b, FaultConfig(nan_fraction=0.05), seed=0)
    assert int(torch.isnan(f.x_train).sum()) == round(0.05 * 600)
    assert not torch.isnan(f.x_val).any() and not torch.isnan(f.x_test).any()
    assert not torch.isnan(b.x_train).any()


def test_scale_and_offset_on_all_splits():
    b = _bundle()
    f = inject_faults(b, FaultConfig(scale=100.0, offset=3.0), seed=0)
    for split in ("x_train", "x_val", "x_test"):
        assert torch.allclose(getattr(f, split), getattr(b, split) * 100 + 3)


def test_scale_selected_features_only():
    b = _bundle()
    f = inject_faults(b, FaultConfig(scale=10.0, features=[1]), seed=0)
    assert torch.allclose(f.x_train[:, 1], b.x_train[:, 1] * 10)
    assert torch.equal(f.x_train[:, [0, 2]], b.x_train[:, [0, 2]])
    with pytest.raises(DataError, match=r"data.faults.features: 3 .*allowed: 0..2"):
        inject_faults(b, FaultConfig(scale=2.0, features=[3]), seed=0)


def test_imbalance_ratio():
    b = _bundle(n=400, classes=4)  # 100 per class
    f = inject_faults(b, FaultConfig(imbalance=0.1), seed=0)
    assert torch.bincount(f.y_train).tolist() == [100, 10, 10, 10]
    assert torch.bincount(f.y_val).tolist() == torch.bincount(b.y_val).tolist()
    # kept samples are the originals, in their original order
    kept = [i for i, row in enumerate(b.x_train) if any(torch.equal(row, r) for r in f.x_train)]
    assert torch.equal(b.y_train[kept], f.y_train)


def test_covariate_shift_moves_val_and_test_only():
    b = _bundle()
    f = inject_faults(b, FaultConfig(covariate_shift=2.0), seed=0)
    std = b.x_train.std(0, unbiased=False)
    assert torch.equal(f.x_train, b.x_train)
    assert torch.allclose(f.x_val - b.x_val, (2.0 * std).expand_as(b.x_val), atol=1e-5)
    assert torch.allclose(f.x_test - b.x_test, (2.0 * std).expand_as(b.x_test), atol=1e-5)


def test_covariate_shift_survives_standardization():
    cfg = DataConfig(name="blobs", faults=FaultConfig(covariate_shift=1.5))
    b = load_data(cfg)
    clean = load_data(DataConfig(name="blobs"))
    assert b.x_train.mean(0).abs().max() < 1e-5
    shift = b.x_val.mean(0) - clean.x_val.mean(0)
    assert torch.allclose(shift, torch.full((2,), 1.5), atol=1e-4)


def test_classification_only_faults_refuse_regression():
    b = _bundle(task="regression")
    with pytest.raises(DataError, match="data.faults.label_noise: 0.2 needs a classification"):
        inject_faults(b, FaultConfig(label_noise=0.2), seed=0)
    with pytest.raises(DataError, match="data.faults.imbalance"):
        inject_faults(b, FaultConfig(imbalance=0.5), seed=0)
    f = inject_faults(b, FaultConfig(sort_by_label=True), seed=0)
    assert (f.y_train[1:] >= f.y_train[:-1]).all()


def test_faults_through_load_data_and_nan_is_not_rejected():
    cfg = DataConfig(
        name="iris",
        standardize="none",
        faults=FaultConfig(nan_fraction=0.1, label_noise=0.2, sort_by_label=True, scale=100.0),
    )
    b = load_data(cfg, seed=0)
    clean = load_data(DataConfig(name="iris", standardize="none"), seed=0)
    assert b.faults == ["label_noise", "sort_by_label", "scale", "nan_fraction"]
    assert int(torch.isnan(b.x_train).sum()) == round(0.1 * b.x_train.numel())
    assert (b.y_train[1:] >= b.y_train[:-1]).all()
    assert torch.allclose(b.x_val, clean.x_val * 100)
    noisy = np.bincount(b.y_train.numpy(), minlength=3)
    assert noisy.sum() == len(clean.y_train)
