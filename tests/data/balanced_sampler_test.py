from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from trainwise.data.balanced_sampler import BalancedSampler
from trainwise.errors import DataError

Y = np.array([0] * 90 + [1] * 10)


def test_classes_drawn_equally_and_minority_covered():
    s = BalancedSampler(Y, seed=0)
    idx = np.array(list(s))
    assert len(idx) == len(s) == 100
    assert np.bincount(Y[idx]).tolist() == [50, 50]
    minority = idx[Y[idx] == 1]
    # 50 draws from 10 samples: five full permutations, each sample exactly 5 times
    assert np.bincount(minority, minlength=100)[90:].tolist() == [5] * 10
    majority = idx[Y[idx] == 0]
    assert len(np.unique(majority)) == 50  # no repeats where there is enough data


def test_remainder_spread_over_classes():
    y = np.array([0] * 5 + [1] * 5 + [2] * 5)
    counts = np.bincount(y[list(BalancedSampler(y, seed=0, num_samples=10))], minlength=3)
    assert sorted(counts.tolist()) == [3, 3, 4]


def test_deterministic_by_seed_and_epoch():
    a, b = BalancedSampler(Y, seed=1), BalancedSampler(Y, seed=1)
    assert list(a) == list(b)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first
    b.set_epoch(1)
    assert list(a) == list(b)
    assert list(BalancedSampler(Y, seed=2)) != first


def test_resume_mid_epoch_from_state_dict():
    s = BalancedSampler(Y, seed=3)
    s.set_epoch(2)
    full = s.epoch_indices(2).tolist()
    it = iter(s)
    head = [next(it) for _ in range(37)]
    state = s.state_dict()
    assert state == {"seed": 3, "epoch": 2, "position": 37}
    resumed = BalancedSampler(Y, seed=0)
    resumed.load_state_dict(state)
    resumed.set_epoch(2)  # the trainer re-announcing the same epoch keeps the position
    assert head + list(resumed) == full
    assert list(resumed) == full  # the next pass starts from the beginning


def test_works_with_dataloader():
    ds = TensorDataset(torch.arange(100), torch.from_numpy(Y))
    loader = DataLoader(ds, batch_size=20, sampler=BalancedSampler(Y, seed=0))
    labels = torch.cat([yb for _, yb in loader])
    assert labels.bincount().tolist() == [50, 50]


def test_rejects_bad_labels():
    with pytest.raises(DataError, match="classification only"):
        BalancedSampler(np.array([0.5, 1.5]))
    with pytest.raises(DataError, match="no labels"):
        BalancedSampler(np.array([], dtype=np.int64))
    with pytest.raises(DataError, match="missing"):
        BalancedSampler(Y).load_state_dict({"seed": 0})
