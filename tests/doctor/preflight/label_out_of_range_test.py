import numpy as np
import torch

from trainwise.doctor.preflight.label_out_of_range import check_label_range


def test_labels_past_the_last_class_fire_with_exact_counts():
    y = np.array([0, 3, 10, 2, 11, 10])
    (f,) = check_label_range(y, num_classes=10, source="the model has 10 outputs")
    assert (f.code, f.severity, f.where) == ("label_out_of_range", "error", "y_train")
    ev = f.evidence
    assert (ev["bad"], ev["min"], ev["max"], ev["allowed"]) == (3, 0.0, 11.0, "0..9")
    assert ev["first_samples"] == [2, 4, 5]
    assert "the model has 10 outputs" in f.message
    assert f.fix.overrides == {"data.n_classes": 12}


def test_one_based_labels_get_their_own_fix():
    (f,) = check_label_range(torch.arange(1, 11).repeat(3), num_classes=10)
    assert "1-based" in f.fix.text and f.evidence["bad"] == 3


def test_negative_and_fractional_labels_fire_without_num_classes():
    (neg,) = check_label_range(np.array([0, -1, 2]))
    assert neg.evidence["bad"] == 1 and neg.evidence["allowed"] == "whole numbers >= 0"
    (frac,) = check_label_range(np.array([0.0, 0.5, 1.0]), num_classes=2)
    assert frac.fix.overrides == {"loss.name": "mse"}


def test_binary_targets_outside_unit_interval():
    (f,) = check_label_range(np.array([-1.0, 1.0, 1.0, -1.0]), task="binary")
    assert f.evidence["bad"] == 2 and "-1" in f.fix.text
    assert check_label_range(np.array([0.0, 1.0, 0.3]), task="binary") == []
    assert check_label_range(np.array([[0.0], [1.0]]), task="binary") == []


def test_one_hot_targets_width_and_range():
    eye = np.eye(4)[[0, 1, 3]]
    assert check_label_range(eye, num_classes=4) == []
    (f,) = check_label_range(eye, num_classes=5)
    assert f.evidence["width"] == 4 and "4 columns but there are 5 classes" in f.message
    (g,) = check_label_range(eye * 2, num_classes=4)
    assert g.evidence["bad"] == 3


def test_regression_and_valid_labels_stay_silent(bundle):
    assert check_label_range(np.array([-3.5, 100.0]), task="regression") == []
    b = bundle("digits")
    for y in (b.y_train, b.y_val, b.y_test):
        assert check_label_range(y, num_classes=10) == []
    nan_labels = np.array([0.0, np.nan, 1.0])  # nan_in_data's to report
    assert check_label_range(nan_labels, num_classes=2) == []
