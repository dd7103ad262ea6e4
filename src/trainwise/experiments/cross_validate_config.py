"""``trainwise run CONFIG --folds K``: k-fold cross-validation of a config.

Layout of the output directory::

    <root>/fold-1/ ... fold-K/   one ordinary run directory per fold (config.yaml, metrics,
                                 checkpoints, model.safetensors, summary.json) plus fold.json,
                                 which says which fold it is (``trainwise eval`` reads it)
    <root>/cv.json               per-fold and mean ± std metrics, out-of-fold scores, and the
                                 test scores of the ensemble of the fold models
    <root>/oof.npz               out-of-fold predictions, targets and fold of every sample

The data of each fold comes from :class:`~trainwise.experiments.fold_data.FoldPlan`; each fold
is trained by :func:`trainwise.training.session.run_config`, so a fold is exactly a normal run
on that fold's data. ``--resume`` skips finished folds and resumes the unfinished one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainwise.config.schema import Config
from trainwise.errors import CheckpointError
from trainwise.experiments.cross_validate import format_table, mean_std
from trainwise.experiments.fold_data import FoldPlan
from trainwise.experiments.predictions import (
    model_outputs,
    output_semantics,
    score_predictions,
    to_probabilities,
)
from trainwise.training.run_dir import make_run_dir, write_json
from trainwise.training.session import chosen_dir


def cv_root(cfg: Config, out_dir, stem: str, resume: bool) -> Path:
    """The cross-validation's folder (see :func:`~trainwise.training.session.chosen_dir`), or a
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

        from trainwise.config import load_config
        cv = run_cross_validation(load_config("examples/circles.yaml"), 5, "runs/circles-cv")
        cv["mean"]["val_accuracy"], cv["std"]["val_accuracy"]
    """
    from trainwise.models.build import build_model
    from trainwise.training.model_io import load_weights
    from trainwise.training.session import run_config

    t0 = time.perf_counter()
    root = cv_root(cfg, out_dir, stem, resume)
    plan = FoldPlan(cfg.data, folds, seed=cfg.seed, stratified=stratified)
    task, from_logits = output_semantics(cfg.loss)
    hint = f"trainwise run {config_path or 'CONFIG'} --folds {folds} --resume --out {root}"
    rows: list[dict[str, Any]] = []
    oof: torch.Tensor | None = None
    fold_of = np.zeros(len(plan.pool_y), dtype=np.int64)
    test_probs: list[torch.Tensor] = []
    test_y = None
    for i in range(folds):
        fold_dir = root / f"fold-{i + 1}"
        bundle = plan.bundle(i)
        echo(f"-- fold {i + 1}/{folds} -> {fold_dir}")
        if resume and (fold_dir / "summary.json").is_file():
            summary = json.loads((fold_dir / "summary.json").read_text())
            echo(f"fold {i + 1} finished earlier; reusing it")
        else:
            fold_dir.mkdir(parents=True, exist_ok=True)
            write_json(
                fold_dir / "fold.json",
                {"fold": i + 1, "folds": folds, "seed": cfg.seed, "stratified": plan.stratified},
            )
            has_ckpt = (fold_dir / "checkpoints").is_dir() and any(
                (fold_dir / "checkpoints").iterdir()
            )
            summary = run_config(
                cfg,
                fold_dir,
                stem=stem,
                echo=echo,
                resume=resume and has_ckpt,
                config_path=config_path,
                bundle=bundle,
                resume_hint=hint,
            )
            if summary.get("interrupted"):
                return {**summary, "run_dir": str(root)}
        # Score the fold's final model (best weights if early stopping restored them) on its
        # held-out part: the same numbers whether the fold ran now or earlier.
        model = build_model(cfg.model, bundle.input_shape, bundle.output_dim)
        load_weights(model, fold_dir / "model.safetensors")
        probs = to_probabilities(model_outputs(model, bundle.x_val), task, from_logits)
        if task == "regression" and probs.ndim == 2 and probs.shape[1] == 1:
            if bundle.y_val.ndim == 1:
                probs = probs[:, 0]
        _, val_idx = plan.indices[i]
        if oof is None:
            oof = torch.empty((len(plan.pool_y), *probs.shape[1:]), dtype=probs.dtype)
        oof[torch.as_tensor(val_idx)] = probs
        fold_of[val_idx] = i + 1
        scores = score_predictions(probs, bundle.y_val, task)
        rows.append(
            {
                "fold": i + 1,
                "epochs": summary.get("epochs_run"),
                **{f"val_{k}": v for k, v in scores.items()},
                **summary.get("test", {}),
            }
        )
        if bundle.x_test is not None:
            # Each fold standardizes with its own training statistics, so every member gets
            # the test inputs as its own fold prepared them; then the probabilities average.
            test_probs.append(
                to_probabilities(model_outputs(model, bundle.x_test), task, from_logits)
            )
            test_y = bundle.y_test
    mean, std = mean_std(rows)
    ensemble_test = None
    if test_probs:
        ensemble_test = {
            f"test_{k}": v
            for k, v in score_predictions(torch.stack(test_probs).mean(0), test_y, task).items()
        }
    np.savez(root / "oof.npz", predictions=oof.numpy(), y=plan.pool_y.numpy(), fold=fold_of)
    result = {
        "run_dir": str(root),
        "folds": folds,
        "stratified": plan.stratified,
        "seed": cfg.seed,
        "task": task,
        "per_fold": [{**r, "run_dir": str(root / f"fold-{r['fold']}")} for r in rows],
        "mean": mean,
        "std": std,
        "oof": score_predictions(oof, plan.pool_y, task),
        "ensemble_test": ensemble_test,
        "total_seconds": time.perf_counter() - t0,
    }
    write_json(root / "cv.json", result)
    return result


def cv_report(result: dict[str, Any]) -> str:
    """The text ``trainwise run --folds`` prints: the per-fold table with mean ± std, the
    out-of-fold scores and the fold ensemble's test scores."""
    rows = [{k: v for k, v in r.items() if k != "run_dir"} for r in result["per_fold"]]
    lines = [
        f"{result['folds']}-fold cross-validation"
        + (" (stratified)" if result["stratified"] else ""),
        format_table(rows, result["mean"], result["std"]),
        "out-of-fold: " + ", ".join(f"{k} {v:.4f}" for k, v in result["oof"].items()),
    ]
    if result.get("ensemble_test"):
        lines.append(
            "ensemble of the fold models: "
            + ", ".join(f"{k} {v:.4f}" for k, v in result["ensemble_test"].items())
        )
    lines.append(f"run directory: {result['run_dir']} (cv.json, oof.npz, fold-*/)")
    return "\n".join(lines)
