"""The k folds of a ``data:`` config, each prepared exactly as a normal run prepares its data.

The pool that is cut into folds is the training data *including* the config's validation
split (each fold's held-out part is the validation set); the test set stays the test set.
Each fold goes through :func:`~trainwise.data.load.prepare_data` on its own, so faults hit
the fold's training part only and standardization is fitted on the fold's training part only
(fitting it on the whole pool would leak the held-out fold's statistics into training).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from trainwise.data.bundle import DataBundle
from trainwise.data.config import AugmentConfig, DataConfig, FaultConfig
from trainwise.data.load import load_source, prepare_data
from trainwise.data.raw_dataset import RawDataset
from trainwise.data.splits import kfold_indices
from trainwise.errors import ConfigError


def _numpy(t: torch.Tensor | None) -> np.ndarray | None:
    return None if t is None else t.numpy()


class FoldPlan:
    """The pool, the test set and the fold indices of a data config.

    Args:
        data: the ``data:`` section. folds: k >= 2.
        seed: seeds the fold assignment and, per fold, the faults (default 0).
        stratified: keep class proportions in every fold (default None: True for
            classification; True for regression is an error).
        cache_dir: where MNIST-1D is cached (default: see ``load_data``).

    Example::

        >>> plan = FoldPlan(DataConfig(name="iris"), folds=3)
        >>> b = plan.bundle(0)
        >>> len(b.x_train) + len(b.x_val) == len(plan.pool_y), len(b.x_test)
        (True, 30)
    """

    def __init__(
        self,
        data: DataConfig,
        folds: int,
        seed: int = 0,
        stratified: bool | None = None,
        cache_dir: str | Path | None = None,
    ):
        self.data = data
        self.folds = folds
        self.seed = seed
        # The pool: checked and test-split like a normal run, but nothing else applied yet.
        plain = data.model_copy(
            update={
                "validation_split": 0.0,
                "standardize": "none",
                "faults": FaultConfig(),
                "augment": AugmentConfig(),
                "class_weight": None,
                "balanced_sampler": False,
            }
        )
        self.base = prepare_data(load_source(data, cache_dir), plain, seed, name=data.name)
        classify = self.base.task == "classification"
        if stratified and not classify:
            raise ConfigError(
                "stratified: True needs classification data; allowed for regression: False or None"
            )
        self.stratified = classify if stratified is None else bool(stratified)
        self.pool_y = self.base.y_train
        target = self.pool_y if self.stratified else len(self.pool_y)
        self.indices = kfold_indices(target, folds, seed=seed, stratified=self.stratified)

    @property
    def task(self) -> str:
        return self.base.task

    def bundle(self, fold: int) -> DataBundle:
        """Fold ``fold`` (0-based) as a DataBundle: train = the other folds, val = this fold
        (in the order of :attr:`indices`), test = the config's test set."""
        if not 0 <= fold < self.folds:
            raise ConfigError(f"fold: {fold!r} is out of range; allowed: 0..{self.folds - 1}")
        train_idx, val_idx = self.indices[fold]
        b = self.base
        order = torch.as_tensor(np.concatenate([train_idx, val_idx]))
        raw = RawDataset(
            _numpy(b.x_train[order]),
            _numpy(b.y_train[order]),
            _numpy(b.x_test),
            _numpy(b.y_test),
            b.task,
            b.kind,
            b.class_names,
        )
        # A Keras split of exactly len(val_idx) samples puts this fold, in order, into val.
        # The test set is already cut (test_split 0), and n_classes is pinned so a fold that
        # happens to lack the top class still gets a full-width output.
        cfg = self.data.model_copy(
            update={
                "validation_split": len(val_idx) / len(order),
                "split": "keras",
                "test_split": 0.0,
                "n_classes": b.num_classes if b.task == "classification" else self.data.n_classes,
            }
        )
        name = f"{self.data.name} fold {fold + 1}/{self.folds}"
        return prepare_data(raw, cfg, self.seed, name=name)
