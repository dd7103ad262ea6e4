import numpy as np
import pytest
import torch

from trainwise.data.config import DataConfig
from trainwise.data.load import load_data
from trainwise.errors import ConfigError, DataError
from trainwise.experiments.cross_validation.fold_plan import FoldPlan

IRIS = DataConfig(name="iris", validation_split=0.1, test_split=0.2)


def test_folds_partition_the_pool_and_keep_the_test_set():
    plan = FoldPlan(IRIS, folds=4, seed=0)
    normal = load_data(IRIS, seed=0)
    # pool = training + validation of a normal run; the test set is the same samples
    assert len(plan.pool_y) == len(normal.y_train) + len(normal.y_val) == 120
    held_out = np.concatenate([v for _, v in plan.indices])
    assert sorted(held_out.tolist()) == list(range(120))
    for i, (train_idx, val_idx) in enumerate(plan.indices):
        b = plan.bundle(i)
        assert len(b.x_train) == len(train_idx) and len(b.x_val) == len(val_idx)
        assert torch.equal(b.y_val, plan.pool_y[torch.as_tensor(val_idx)])  # fold order
        assert torch.equal(b.y_test, normal.y_test)
        assert b.num_classes == 3 and b.name == f"iris fold {i + 1}/4"


def test_standardization_is_fitted_on_the_fold_training_part_only():
    plan = FoldPlan(IRIS, folds=3, seed=0)
    b = plan.bundle(1)
    assert torch.allclose(b.x_train.mean(0), torch.zeros(4), atol=1e-5)
    assert torch.allclose(b.x_train.std(0, unbiased=False), torch.ones(4), atol=1e-4)
    # val uses the training statistics, so its mean is not exactly zero
    assert b.x_val.mean(0).abs().max() > 1e-3
    train_idx, _ = plan.indices[1]
    raw = plan.base.x_train[torch.as_tensor(train_idx)]
    mean, std = raw.mean(0), raw.std(0, unbiased=False)
    assert torch.allclose(b.x_test, (plan.base.x_test - mean) / std, atol=1e-4)


def test_stratified_by_default_for_classification():
    plan = FoldPlan(IRIS, folds=4, seed=0)
    assert plan.stratified
    per_fold = np.array(
        [np.bincount(plan.pool_y[torch.as_tensor(v)].numpy(), minlength=3) for _, v in plan.indices]
    )
    # every class is spread over the folds as evenly as its count allows
    assert (per_fold.max(0) - per_fold.min(0) <= 1).all()
    reg = FoldPlan(DataConfig(name="diabetes"), folds=3)
    assert not reg.stratified and reg.task == "regression"


def test_errors():
    with pytest.raises(ConfigError, match="stratified: True needs classification data"):
        FoldPlan(DataConfig(name="diabetes"), folds=3, stratified=True)
    with pytest.raises(DataError, match="folds: 1 is not possible"):
        FoldPlan(IRIS, folds=1)
    with pytest.raises(ConfigError, match=r"fold: 5 is out of range; allowed: 0..2"):
        FoldPlan(IRIS, folds=3).bundle(5)
