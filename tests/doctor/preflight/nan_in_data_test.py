import json

import numpy as np
import torch

from trainwise.doctor.preflight.nan_in_data import check_nan_in_data


def test_counts_nan_and_inf_exactly_with_first_samples():
    x = np.zeros((10, 3, 4), dtype=np.float32)
    x[7, 0, 1] = np.nan
    x[2, 2, 3] = np.inf
    x[2, 0, 0] = np.nan
    (f,) = check_nan_in_data({"x_train": x})
    assert (f.code, f.severity, f.where) == ("nan_in_data", "error", "x_train")
    ev = f.evidence
    assert (ev["values"], ev["nan"], ev["inf"], ev["samples"]) == (3, 2, 1, 2)
    assert ev["first_samples"] == [2, 7]
    assert ev["share"] == 3 / 120
    assert "3 non-finite values (2 NaN, 1 Inf" in f.message
    json.dumps(f.to_dict())


def test_one_finding_per_split_and_field_targets_included():
    y = torch.tensor([0.0, float("nan"), 1.0])
    found = check_nan_in_data(
        {"x_train": np.ones((3, 2)), "y_train": y, "x_val": None, "x_test": np.full((2, 2), np.inf)}
    )
    assert [f.where for f in found] == ["y_train", "x_test"]
    assert found[1].evidence["inf"] == 4


def test_clean_and_integer_data_are_silent():
    assert check_nan_in_data({"x_train": np.ones((5, 2)), "y_train": np.arange(5)}) == []
    assert check_nan_in_data({"x_train": torch.ones(3, 2, dtype=torch.bfloat16)}) == []


def test_seeded_fault_fires_and_its_count_is_exact(bundle):
    b = bundle("circles", nan_fraction=0.01)
    (f,) = check_nan_in_data({"x_train": b.x_train, "x_val": b.x_val, "x_test": b.x_test})
    assert f.where == "x_train"
    assert f.evidence["values"] == round(0.01 * b.x_train.numel())
    healthy = bundle("circles")
    assert check_nan_in_data({"x_train": healthy.x_train, "y_train": healthy.y_train}) == []
