from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from trainwise.data.splits import keras_split, kfold_indices, n_held_out, stratified_split
from trainwise.errors import DataError


def test_keras_split_takes_last_fraction_in_order():
    x, y = np.arange(20) * 10, np.arange(20)
    xt, yt, xv, yv = keras_split(x, y, 0.25)
    assert yv.tolist() == [15, 16, 17, 18, 19]
    assert xv.tolist() == [150, 160, 170, 180, 190]
    assert yt.tolist() == list(range(15))


def test_keras_split_on_tensors():
    x = torch.arange(10.0).view(10, 1)
    xt, yt, xv, yv = keras_split(x, torch.arange(10), 0.3)
    assert isinstance(xv, torch.Tensor)
    assert yv.tolist() == [7, 8, 9] and len(xt) == 7


def test_held_out_count_is_robust_to_float_error():
    assert n_held_out(4000, 0.1) == 400
    assert n_held_out(10, 0.3) == 3  # 10 * 0.7 = 7.000000000000001 would lose one to ceil
    for n in range(1, 300):
        for f in (0.1, 0.2, 0.3, 0.7):
            assert n_held_out(n, f) == math.floor(round(n * f, 6))


def test_keras_split_length_mismatch():
    with pytest.raises(DataError, match="as many as x"):
        keras_split(np.arange(5), np.arange(4), 0.2)


def test_stratified_split_keeps_proportions_and_is_seeded():
    y = np.array([0] * 80 + [1] * 20)
    x = np.arange(100)
    xt, yt, xv, yv = stratified_split(x, y, 0.2, seed=3)
    assert np.bincount(yv).tolist() == [16, 4]
    assert np.bincount(yt).tolist() == [64, 16]
    assert sorted(np.concatenate([xt, xv]).tolist()) == list(range(100))
    again = stratified_split(x, y, 0.2, seed=3)
    other = stratified_split(x, y, 0.2, seed=4)
    assert np.array_equal(again[2], xv)
    assert not np.array_equal(other[2], xv)


def test_stratified_split_tensors_and_regression():
    x, y = torch.arange(50.0), torch.linspace(0, 1, 50)
    xt, yt, xv, yv = stratified_split(x, y, 0.2, seed=0, stratify=False)
    assert len(xv) == 10 and isinstance(xv, torch.Tensor)
    assert torch.allclose(yv, xv / 49)  # pairs stay together


def test_stratified_split_impossible_raises():
    y = np.array([0] * 9 + [1])
    with pytest.raises(DataError, match="split: .*impossible"):
        stratified_split(np.arange(10), y, 0.2, seed=0)


@pytest.mark.parametrize("stratified", [False, True])
def test_kfold_covers_every_index_once(stratified):
    y = np.array([0] * 30 + [1] * 12 + [2] * 8)
    folds = kfold_indices(y if stratified else 50, k=4, seed=1, stratified=stratified)
    assert len(folds) == 4
    val = np.concatenate([v for _, v in folds])
    assert sorted(val.tolist()) == list(range(50))
    for tr, va in folds:
        assert len(np.intersect1d(tr, va)) == 0 and len(tr) + len(va) == 50
    if stratified:
        counts = np.array([np.bincount(y[v], minlength=3) for _, v in folds])
        assert (counts.max(0) - counts.min(0) <= 1).all()  # each class spread evenly
        assert counts.sum(0).tolist() == [30, 12, 8]


def test_kfold_seeded():
    a = kfold_indices(20, 5, seed=0)
    b = kfold_indices(20, 5, seed=0)
    c = kfold_indices(20, 5, seed=1)
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    assert not all(np.array_equal(x[1], y[1]) for x, y in zip(a, c))


def test_kfold_bad_arguments():
    with pytest.raises(DataError, match="folds: 1 .*allowed: 2..10"):
        kfold_indices(10, 1)
    with pytest.raises(DataError, match="folds: 11"):
        kfold_indices(10, 11)
    with pytest.raises(DataError, match="needs the labels"):
        kfold_indices(10, 2, stratified=True)
