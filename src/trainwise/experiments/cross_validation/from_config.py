"""``trainwise run CONFIG --folds K``: k-fold cross-validation of a config.

Layout of the output directory::

    <root>/fold-1/ ... fold-K/   one ordinary run directory per fold (config.yaml, metrics,
                                 checkpoints, model.safetensors, summary.json) plus fold.json,
                                 which says which fold it is (``trainwise eval`` reads it)
    <root>/cv.json               per-fold and mean ± std metrics, out-of-fold scores, and the
                                 test scores of the ensemble of the fold models
    <root>/oof.npz               out-of-fold predictions, targets and fold of every sample

The data of each fold comes from
:class:`~trainwise.experiments.cross_validation.fold_plan.FoldPlan`; each fold is trained by
:func:`~trainwise.experiments.cross_validation.runner.run_config_fold` (an ordinary run on
that fold's data, as ``compare --folds`` trains its trials) and the folds are collected by
:func:`~trainwise.experiments.cross_validation.runner.run_folds`, as in ``tw.cross_validate``.
``--resume`` skips finished folds and resumes the unfinished one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from trainwise import run_files
from trainwise.checkpoint.weights import load_weights
from trainwise.errors import CheckpointError
from trainwise.experiments.cross_validation.fold_plan import FoldPlan
from trainwise.experiments.cross_validation.runner import (
    TrainedFold,
    run_config_fold,
    run_folds,
)
from trainwise.experiments.cross_validation.table import format_table
from trainwise.experiments.predictions import model_outputs, output_semantics
from trainwise.models.build import build_model
from trainwise.report.stat_format import format_metric_value
from trainwise.run.schema import Config
from trainwise.run.session import chosen_dir
from trainwise.training.run_dir import make_run_dir, write_json


def cv_root(cfg: Config, out_dir, stem: str, resume: bool) -> Path:
    """The cross-validation's folder (see :func:`~trainwise.run.session.chosen_dir`), or a
    new ``output.dir/<stem>-cv-<time>``."""
    root = chosen_dir(cfg, out_dir, f"{stem}-cv", resume, what="cross-validation")
    if root is None:
        return make_run_dir(cfg.output.dir, None, f"{stem}-cv")
    if resume and not root.is_dir():
        raise CheckpointError(f"--resume: {str(root)!r} does not exist; nothing to resume")
    return make_run_dir(root.parent, root.name)


def run_cross_validation(
    cfg: Config,
    folds: int,
    out_dir: str | Path | None = None,
    stem: str = "run",
    echo: Callable[[str], Any] = print,
    resume: bool = False,
    config_path: str | None = None,
    stratified: bool | None = None,
) -> dict[str, Any]:
    """Train ``cfg`` on each of ``folds`` folds; write the fold runs, cv.json and oof.npz;
    return the cv.json content (or ``{"interrupted": True, ...}`` if a fold was stopped).

    ``stratified`` defaults to True for classification data. The run seed ``cfg.seed`` seeds
    the fold assignment and every fold's training.

    Example::

        from trainwise.run import load_config
        cv = run_cross_validation(load_config("examples/circles.yaml"), 5, "runs/circles-cv")
        cv["mean"]["val_accuracy"], cv["std"]["val_accuracy"]
    """
    cfg = cfg if isinstance(cfg, Config) else Config.model_validate(cfg)  # ConfigError if bad
    t0 = time.perf_counter()
    root = cv_root(cfg, out_dir, stem, resume)
    plan = FoldPlan(cfg.data, folds, seed=cfg.seed, stratified=stratified)
    task, from_logits = output_semantics(cfg.loss)
    hint = f"trainwise run {config_path or 'CONFIG'} --folds {folds} --resume --out {root}"
    stopped: dict[str, Any] = {}

    def train_fold(i: int) -> TrainedFold | None:
        fold_dir = root / f"fold-{i + 1}"
        bundle = plan.bundle(i)
        echo(f"-- fold {i + 1}/{folds} -> {fold_dir}")
        if resume and (fold_dir / run_files.SUMMARY).is_file():
            summary = json.loads((fold_dir / run_files.SUMMARY).read_text())
            echo(f"fold {i + 1} finished earlier; reusing it")
        else:
            checkpoints = fold_dir / run_files.CHECKPOINTS
            has_ckpt = checkpoints.is_dir() and any(checkpoints.iterdir())
            summary = run_config_fold(
                cfg,
                plan,
                i,
                fold_dir,
                stem=stem,
                echo=echo,
                resume=resume and has_ckpt,
                config_path=config_path,
                resume_hint=hint,
                bundle=bundle,
            )
            if summary.get("interrupted"):
                stopped.update(summary)
                return None
        # Score the fold's final model (best weights if early stopping restored them) on its
        # held-out part: the same numbers whether the fold ran now or earlier.
        model = build_model(cfg.model, bundle.input_shape, bundle.output_dim)
        load_weights(model, fold_dir / run_files.WEIGHTS)
        return TrainedFold(
            outputs=model_outputs(model, bundle.x_val),
            y_val=bundle.y_val,
            epochs=summary.get("epochs_run"),
            test_metrics=summary.get("test", {}),
            test_outputs=None if bundle.x_test is None else model_outputs(model, bundle.x_test),
            y_test=bundle.y_test,
        )

    result = run_folds(plan.indices, plan.pool_y, task, from_logits, train_fold)
    if result is None:
        return {**stopped, "run_dir": str(root)}
    np.savez(
        root / run_files.OOF,
        predictions=result.oof.numpy(),
        y=plan.pool_y.numpy(),
        fold=result.fold_of,
    )
    cv = {
        "run_dir": str(root),
        "folds": folds,
        "stratified": plan.stratified,
        "seed": cfg.seed,
        "task": task,
        "per_fold": [{**r, "run_dir": str(root / f"fold-{r['fold']}")} for r in result.rows],
        "mean": result.mean,
        "std": result.std,
        "oof": result.oof_metrics,
        "ensemble_test": result.ensemble_test,
        "total_seconds": time.perf_counter() - t0,
    }
    write_json(root / run_files.CV, cv)
    return cv


def _scores(scores: dict[str, float]) -> str:
    return ", ".join(f"{k} {format_metric_value(k, v)}" for k, v in scores.items())


def cv_report(result: dict[str, Any]) -> str:
    """The text ``trainwise run --folds`` prints: the per-fold table with mean ± std, the
    out-of-fold scores and the fold ensemble's test scores."""
    rows = [{k: v for k, v in r.items() if k != "run_dir"} for r in result["per_fold"]]
    lines = [
        f"{result['folds']}-fold cross-validation"
        + (" (stratified)" if result["stratified"] else ""),
        format_table(rows, result["mean"], result["std"]),
        "out-of-fold: " + _scores(result["oof"]),
    ]
    if result.get("ensemble_test"):
        lines.append("ensemble of the fold models: " + _scores(result["ensemble_test"]))
    lines.append(f"run directory: {result['run_dir']} (cv.json, oof.npz, fold-*/)")
    return "\n".join(lines)
