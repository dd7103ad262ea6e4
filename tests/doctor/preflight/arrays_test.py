import numpy as np
import pytest
import torch

from trainwise.doctor.preflight.arrays import (
    as_array,
    class_labels,
    finite_rows,
    first_indices,
    one_thread,
    rows,
    sample_indices,
)
from trainwise.errors import ArgumentTypeError


def test_as_array_views_cpu_tensors_and_widens_half_floats():
    t = torch.arange(6, dtype=torch.float32).reshape(3, 2)
    a = as_array(t, "x")
    assert a.shape == (3, 2) and np.shares_memory(a, t.numpy())
    b = as_array(t.to(torch.bfloat16), "x")
    assert b.dtype == np.float32 and b.tolist() == t.tolist()
    assert as_array([[1, 2], [3, 4]], "x").shape == (2, 2)


def test_as_array_rejects_other_types_naming_the_field():
    with pytest.raises(ArgumentTypeError, match="x_val: dict"):
        as_array({"a": 1}, "x_val")
    with pytest.raises(ArgumentTypeError, match="ragged"):
        as_array([[1, 2], [3]], "x")


def test_rows_finite_rows_and_first_indices():
    x = np.ones((4, 2, 3))
    x[2, 1, 0] = np.nan
    x2 = rows(x)
    assert x2.shape == (4, 6)
    assert finite_rows(x2).tolist() == [True, True, False, True]
    assert finite_rows(np.zeros((2, 2), dtype=np.int64)).all()
    assert first_indices(~finite_rows(x2)) == [2]


def test_sample_indices_is_seeded_sorted_and_leaves_the_global_rng_alone():
    state = np.random.get_state()[1].copy()
    a, b = sample_indices(1000, 50, seed=3), sample_indices(1000, 50, seed=3)
    assert a.tolist() == b.tolist() == sorted(set(a.tolist())) and len(a) == 50
    assert sample_indices(10, 50).tolist() == list(range(10))
    assert np.array_equal(np.random.get_state()[1], state)


def test_class_labels_from_ints_floats_and_one_hot():
    assert class_labels(np.array([2, 0, 1])).tolist() == [2, 0, 1]
    assert class_labels(np.array([[1.0], [0.0]])).tolist() == [1, 0]
    assert class_labels(np.eye(3)[[2, 0]]).tolist() == [2, 0]
    assert class_labels(np.array([0.5, 1.0])) is None
    assert class_labels(np.array([np.nan, 1.0])) is None


def test_one_thread_limits_the_pools_and_restores_them():
    from threadpoolctl import threadpool_info

    with one_thread():  # the first use loads scipy's and scikit-learn's pools: count them too
        pass
    before = [p["num_threads"] for p in threadpool_info()]
    with one_thread():
        assert {p["num_threads"] for p in threadpool_info()} == {1}
    assert [p["num_threads"] for p in threadpool_info()] == before
