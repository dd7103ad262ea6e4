"""The one fold runner: k folds trained one after the other, their held-out predictions put
together into out-of-fold (OOF) predictions, scored, and summarised as mean ± std.

Every command that trains folds goes through here:

* ``tw.cross_validate`` (:mod:`.cross_validate`): :func:`run_folds` with a ``train_fold``
  that calls ``tw.fit`` on a fresh model and in-memory tensors;
* ``trainwise run CONFIG --folds K`` (:mod:`.from_config`): :func:`run_folds` with a
  ``train_fold`` that trains :func:`run_config_fold`, an ordinary run directory per fold;
* ``trainwise compare --folds K``: each (variant, fold) trial is :func:`run_config_fold`, in a
  worker process (:mod:`trainwise.experiments.comparison.trial`); the comparison pairs those
  trials by fold instead of collecting them here.

So a fold of a config is the same run directory (fold.json included) whichever command trained
it, and a fold's held-out predictions are turned into probabilities and scored one way
(:mod:`trainwise.experiments.predictions`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from trainwise import run_files
from trainwise.experiments.cross_validation.fold_plan import FoldPlan
from trainwise.experiments.predictions import score_predictions, to_probabilities
from trainwise.experiments.stats import mean_std
from trainwise.run.schema import Config
from trainwise.run.session import run_config
from trainwise.training.run_dir import write_json


@dataclass
class TrainedFold:
    """What training one fold hands to :func:`run_folds`.

    Attributes:
        outputs: the fold model's raw outputs on the fold's held-out samples, in the order of
            the fold's held-out indices; ``y_val`` their targets.
        epochs: epochs trained. test_metrics: the fold's own ``test_*`` scores ({} if none).
        test_outputs, y_test: raw outputs on the test set and its targets, for the scores of
            the fold models' average (None: not asked for).
        model, history: kept for :class:`~.cross_validate.CVResult` (None when not needed).
    """

    outputs: torch.Tensor
    y_val: torch.Tensor
    epochs: int | None
    test_metrics: dict[str, float] = field(default_factory=dict)
    test_outputs: torch.Tensor | None = None
    y_test: torch.Tensor | None = None
    model: nn.Module | None = None
    history: list[dict[str, Any]] | None = None


@dataclass
class FoldsResult:
    """What :func:`run_folds` returns.

    Attributes:
        rows: per fold ``{"fold": i (1-based), "epochs": n, "val_<score>": ..., "test_*": ...}``.
        mean, std: over the folds (std with ddof=1, :func:`~trainwise.experiments.stats.mean_std`).
        oof: the held-out probabilities of every sample, in the order of the targets.
        oof_metrics: the scores of ``oof`` against all targets at once.
        fold_of: the (1-based) fold that held out each sample.
        ensemble_test: the test scores (``test_*``) of the fold models' mean probabilities, or
            None when no fold gave test outputs.
        folds: each fold's :class:`TrainedFold`.
    """

    rows: list[dict[str, Any]]
    mean: dict[str, float]
    std: dict[str, float]
    oof: torch.Tensor
    oof_metrics: dict[str, float]
    fold_of: np.ndarray
    ensemble_test: dict[str, float] | None
    folds: list[TrainedFold]


def run_folds(
    indices: Sequence[tuple[np.ndarray, np.ndarray]],
    targets: torch.Tensor,
    task: str,
    from_logits: bool,
    train_fold: Callable[[int], TrainedFold | None],
) -> FoldsResult | None:
    """Train every fold with ``train_fold(i)`` (0-based, in order) and collect the results.

    Args:
        indices: ``(train_idx, val_idx)`` per fold, into ``targets``.
        targets: the targets of the whole pool (the OOF predictions are scored against them).
        task, from_logits: how outputs become probabilities (see
            :func:`~trainwise.experiments.predictions.to_probabilities`).
        train_fold: trains fold i; returns None when the fold was stopped (a signal), which
            stops the loop.

    Returns:
        A :class:`FoldsResult`, or None when a fold was stopped.

    Example::

        indices = kfold_indices(y, 3, seed=0, stratified=True)
        result = run_folds(indices, y, "classification", True, train_one_fold)
        result.mean["val_accuracy"], result.oof.shape
    """
    n = len(targets)
    rows: list[dict[str, Any]] = []
    trained: list[TrainedFold] = []
    oof: torch.Tensor | None = None
    fold_of = np.zeros(n, dtype=np.int64)
    test_probs: list[torch.Tensor] = []
    test_y = None
    for i, (_, val_idx) in enumerate(indices):
        fold = train_fold(i)
        if fold is None:
            return None
        probs = to_probabilities(fold.outputs, task, from_logits)
        if task == "regression" and probs.ndim == 2 and probs.shape[1] == 1:
            if fold.y_val.ndim == 1:
                probs = probs[:, 0]  # one output column for (N,) targets: keep their shape
        if oof is None:
            oof = torch.empty((n, *probs.shape[1:]), dtype=probs.dtype)
        oof[torch.as_tensor(val_idx)] = probs
        fold_of[val_idx] = i + 1
        scores = score_predictions(probs, fold.y_val, task)
        rows.append(
            {
                "fold": i + 1,
                "epochs": fold.epochs,
                **{f"val_{k}": v for k, v in scores.items()},
                **fold.test_metrics,
            }
        )
        if fold.test_outputs is not None:
            # Each fold prepares the test inputs its own way (its own standardization), so
            # each member predicts them as its fold prepared them; the probabilities average.
            test_probs.append(to_probabilities(fold.test_outputs, task, from_logits))
            test_y = fold.y_test
        trained.append(fold)
    mean, std = mean_std(rows)
    ensemble_test = None
    if test_probs:
        average = torch.stack(test_probs).mean(0)
        ensemble_test = {
            f"test_{k}": v for k, v in score_predictions(average, test_y, task).items()
        }
    return FoldsResult(
        rows=rows,
        mean=mean,
        std=std,
        oof=oof,
        oof_metrics=score_predictions(oof, targets, task),
        fold_of=fold_of,
        ensemble_test=ensemble_test,
        folds=trained,
    )


def run_config_fold(
    cfg: Config,
    plan: FoldPlan,
    fold: int,
    fold_dir: str | Path,
    *,
    stem: str = "run",
    echo: Callable[[str], Any] = print,
    resume: bool = False,
    config_path: str | None = None,
    resume_hint: str | None = None,
    bundle=None,
) -> dict[str, Any]:
    """Train fold ``fold`` (0-based) of ``plan`` as an ordinary run directory ``fold_dir``:
    fold.json (which fold it is; ``trainwise eval`` reads it), then
    :func:`~trainwise.run.session.run_config` on the fold's data. Returns the run's summary
    (``{"interrupted": True, ...}`` when a signal stopped it).

    ``bundle`` is the fold's data when the caller already built it (default
    ``plan.bundle(fold)``); the other arguments go to ``run_config``.

    Example::

        plan = FoldPlan(cfg.data, 5, seed=cfg.seed)
        summary = run_config_fold(cfg, plan, 0, "runs/circles-cv/fold-1")
    """
    fold_dir = Path(fold_dir)
    fold_dir.mkdir(parents=True, exist_ok=True)
    write_json(
        fold_dir / run_files.FOLD,
        {"fold": fold + 1, "folds": plan.folds, "seed": plan.seed, "stratified": plan.stratified},
    )
    return run_config(
        cfg,
        fold_dir,
        stem=stem,
        echo=echo,
        resume=resume,
        config_path=config_path,
        bundle=plan.bundle(fold) if bundle is None else bundle,
        resume_hint=resume_hint,
    )
