import numpy as np
import torch

from trainwise.doctor.preflight.labels_collapsed import check_labels_collapsed


def test_labels_cast_to_long_all_zero_is_an_error():
    y = (torch.arange(300) % 10).double() / 255  # class / 255, as a mask image stores it
    (f,) = check_labels_collapsed(y.long())
    assert (f.code, f.severity, f.where) == ("labels_collapsed", "error", "y_train")
    assert f.evidence["dominant_value"] == 0 and f.evidence["dominant_share"] == 1.0
    assert check_labels_collapsed(torch.round(y * 255).long()) == []


def test_regression_targets_truncated_to_integers():
    t = np.random.default_rng(0).uniform(-0.99, 0.99, 500)
    t[:2] = [-1.0, 1.0]  # the extremes of a min-max scaling survive the cast
    (f,) = check_labels_collapsed(t.astype(np.int64).astype(np.float32), task="regression")
    assert f.severity == "warning" and f.evidence["values"] == [-1.0, 0.0, 1.0]
    assert check_labels_collapsed(t, task="regression") == []


def test_healthy_and_borderline_targets_are_silent():
    rng = np.random.default_rng(1)
    counts = rng.poisson(3.0, 500).astype(float)  # count targets: many values
    assert check_labels_collapsed(counts, task="regression") == []
    y = np.array([0] * 990 + [1] * 10)  # a 1:99 imbalance is class_imbalance's, not a collapse
    assert check_labels_collapsed(y) == []
    assert check_labels_collapsed(np.zeros(10, dtype=int)) == []  # too few to say
