from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.utils.class_weight import compute_class_weight

from trainwise.data.class_weights import compute_class_weights
from trainwise.errors import DataError


def test_balanced_closed_form():
    w = compute_class_weights(torch.tensor([0, 0, 0, 1]), 2)
    # n / (C * count): 4 / (2 * 3), 4 / (2 * 1)
    assert torch.allclose(w, torch.tensor([2 / 3, 2.0]))
    assert w.dtype == torch.float32


def test_balanced_matches_sklearn():
    y = np.random.default_rng(0).integers(0, 5, size=300)
    expected = compute_class_weight("balanced", classes=np.arange(5), y=y)
    assert np.allclose(compute_class_weights(y, 5).numpy(), expected, rtol=1e-6)


def test_absent_class_gets_one():
    w = compute_class_weights(np.array([0, 0, 2, 2, 2, 2]), 3)
    assert w[1].item() == 1.0
    assert torch.allclose(w[[0, 2]], torch.tensor([6 / (2 * 2), 6 / (2 * 4)]))


def test_explicit_dict():
    w = compute_class_weights(np.array([0, 1, 2]), 3, {2: 5.0})
    assert w.tolist() == [1.0, 1.0, 5.0]
    with pytest.raises(DataError, match="data.class_weight: class 3 .*allowed: 0..2"):
        compute_class_weights(np.array([0, 1, 2]), 3, {3: 2.0})


def test_bad_labels_and_mode():
    with pytest.raises(DataError, match="label 4 is outside 0..2"):
        compute_class_weights(np.array([0, 4]), 3)
    with pytest.raises(DataError, match="'inverse' is not a known mode"):
        compute_class_weights(np.array([0, 1]), 2, "inverse")
