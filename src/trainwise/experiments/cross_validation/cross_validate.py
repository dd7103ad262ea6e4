"""k-fold cross-validation of any model: ``tw.cross_validate(model_fn, (x, y), folds=5)``.

Each fold trains a fresh model with ``tw.fit`` on the other folds and predicts its own
held-out fold; the held-out predictions of all folds together are the out-of-fold (OOF)
predictions, one per sample. Fold indices come from sklearn's (Stratified)KFold via
:func:`trainwise.data.splits.kfold_indices`; the folds are run and collected by the one fold
runner, :func:`~trainwise.experiments.cross_validation.runner.run_folds`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from trainwise.data.splits import kfold_indices
from trainwise.errors import ArgumentTypeError, ConfigError
from trainwise.experiments.cross_validation.runner import TrainedFold, run_folds
from trainwise.experiments.cross_validation.table import format_table
from trainwise.experiments.ensemble import Ensemble
from trainwise.experiments.predictions import model_outputs, output_semantics
from trainwise.training.fit import fit
from trainwise.training.inputs import as_xy
from trainwise.training.seeding import seed_everything
from trainwise.vocabulary import check_task, infer_task


@dataclass
class CVResult:
    """What :func:`cross_validate` returns.

    Attributes:
        folds: per fold, ``{"fold": i (1-based), "epochs": n, "val_accuracy": ...,
            "val_log_loss": ...}`` (or ``val_mse``/``val_mae`` for regression) scored on the
            fold's held-out part by the final model, plus ``test_*`` when ``test_data`` was given.
        mean, std: over the folds (std with ddof=1).
        oof: out-of-fold predictions in the order of the input samples: (N, C) probabilities,
            (N,) positive-class probabilities for binary, raw outputs for regression.
        oof_metrics: the scores of ``oof`` against all targets at once.
        indices: the ``(train_idx, val_idx)`` of each fold.
        models: the trained fold models. histories: each fold's ``FitResult.history``.
        ensemble: an :class:`Ensemble` of the fold models when asked for, else None.
    """

    folds: list[dict[str, Any]]
    mean: dict[str, float]
    std: dict[str, float]
    oof: np.ndarray
    oof_metrics: dict[str, float]
    indices: list[tuple[np.ndarray, np.ndarray]]
    models: list[nn.Module]
    histories: list[list[dict[str, Any]]]
    task: str
    ensemble: Ensemble | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def table(self) -> str:
        """Per-fold metrics and their mean ± std as plain text."""
        return format_table(self.folds, self.mean, self.std)


def cross_validate(
    model_fn: Callable[[], nn.Module],
    data,
    *,
    folds: int = 5,
    stratified: bool | None = None,
    seed: int = 0,
    ensemble: bool = False,
    **fit_kwargs,
) -> CVResult:
    """k-fold cross-validation: train ``model_fn()`` on each fold's complement with ``tw.fit``.

    Args:
        model_fn: returns a fresh, untrained model (called once per fold, after seeding with
            ``seed``, so every fold starts from the same initial weights).
        data: an ``(x, y)`` pair of tensors or NumPy arrays.
        folds: k >= 2 (default 5).
        stratified: keep class proportions in each fold (default None: True when the task is
            classification or binary).
        seed: seeds the fold assignment (sklearn ``shuffle=True, random_state=seed``) and
            each fold's training (default 0).
        ensemble: also return an :class:`Ensemble` of the fold models (default False).
        **fit_kwargs: passed to ``tw.fit`` (loss, optimizer, lr, epochs, batch_size,
            callbacks, test_data, verbose, ...). Not ``val_data``/``validation_split``: the
            held-out fold is the validation data. With ``out_dir``, fold i writes to
            ``out_dir/fold-i``. Each fold gets a deep copy of ``callbacks``, so state such as
            an early-stopping patience counter never leaks from one fold into the next.

    Example::

        import torch, trainwise as tw
        x, y = torch.randn(200, 4), torch.randint(0, 2, (200,))
        make = lambda: torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(),
                                           torch.nn.Linear(16, 2))
        cv = tw.cross_validate(make, (x, y), folds=3, epochs=2, verbose=False, ensemble=True)
        print(cv.table()); cv.oof.shape  # (200, 2)
    """
    _check_arguments(model_fn, fit_kwargs)
    x, y = as_xy(data, "data")
    task, from_logits = output_semantics(fit_kwargs.get("loss"))
    task = check_task(fit_kwargs.get("task") or task or infer_task(y))
    indices = _fold_indices(y, task, folds, seed, stratified)
    out_dir = fit_kwargs.pop("out_dir", None)
    callbacks = list(fit_kwargs.pop("callbacks", None) or [])
    fit_kwargs.setdefault("seed", seed)
    device = fit_kwargs.get("device", "cpu")

    def train_fold(i: int) -> TrainedFold:
        train_idx, val_idx = indices[i]
        tr, va = torch.as_tensor(train_idx), torch.as_tensor(val_idx)
        seed_everything(seed)
        model = model_fn()
        if not isinstance(model, nn.Module):
            raise ArgumentTypeError(
                f"model_fn: returned {type(model).__name__}; allowed: a torch.nn.Module"
            )
        result = fit(
            model,
            (x[tr], y[tr]),
            val_data=(x[va], y[va]),
            out_dir=None if out_dir is None else Path(out_dir) / f"fold-{i + 1}",
            callbacks=copy.deepcopy(callbacks),
            **fit_kwargs,
        )
        return TrainedFold(
            outputs=model_outputs(result.model, x[va], device=device),
            y_val=y[va],
            epochs=len(result.history),
            test_metrics=result.test_metrics,
            model=result.model,
            history=result.history,
        )

    folds_result = run_folds(indices, y, task, from_logits, train_fold)
    models = [f.model for f in folds_result.folds]
    return CVResult(
        folds=folds_result.rows,
        mean=folds_result.mean,
        std=folds_result.std,
        oof=folds_result.oof.numpy(),
        oof_metrics=folds_result.oof_metrics,
        indices=indices,
        models=models,
        histories=[f.history for f in folds_result.folds],
        task=task,
        ensemble=Ensemble(models, task, from_logits=from_logits) if ensemble else None,
    )


def _check_arguments(model_fn, fit_kwargs: dict[str, Any]) -> None:
    if not callable(model_fn) or isinstance(model_fn, nn.Module):
        raise ArgumentTypeError(
            f"model_fn: expected a function returning a new model, got {type(model_fn).__name__}"
        )
    for bad in ("val_data", "validation_split"):
        if fit_kwargs.get(bad) is not None:
            raise ConfigError(
                f"{bad}: not allowed in cross_validate; each fold's held-out part is its "
                "validation data"
            )


def _fold_indices(y: torch.Tensor, task: str, folds: int, seed: int, stratified: bool | None):
    """The ``(train_idx, val_idx)`` of each fold; stratified by default unless regression."""
    if stratified is None:
        stratified = task != "regression"
    elif stratified and task == "regression":
        raise ConfigError(
            "stratified: True needs classification targets; allowed for regression: False or None"
        )
    labels = y.reshape(len(y), -1)[:, 0].round().long() if task == "binary" else y
    return kfold_indices(labels if stratified else len(y), folds, seed, stratified)
