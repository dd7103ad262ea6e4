"""``trainwise run``: from a validated config to a finished run directory.

This is how a config value travels: YAML -> :class:`~trainwise.config.schema.Config` (validated)
-> each section to its package's builder (``load_data``, ``build_model``, ...) -> ``tw.fit``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from trainwise.callbacks.early_stopping import EarlyStopping
from trainwise.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from trainwise.config.schema import Config
from trainwise.data.augment import build_augmenter
from trainwise.data.balanced_sampler import BalancedSampler
from trainwise.data.load import load_data
from trainwise.models.build import build_model
from trainwise.models.summary import model_summary
from trainwise.training.fit import fit
from trainwise.training.run_dir import make_run_dir, write_config, write_json
from trainwise.training.seeding import seed_everything


def build_callbacks(cfg: Config) -> list:
    cbs: list = []
    es = cfg.callbacks.early_stopping
    if es is not None:
        cbs.append(EarlyStopping(**es.model_dump()))
    pl = cfg.callbacks.reduce_lr_on_plateau
    if pl is not None:
        cbs.append(ReduceLROnPlateau(**pl.model_dump()))
    return cbs


def run_config(
    cfg: Config, out_dir: str | Path | None = None, stem: str = "run", echo=print
) -> dict[str, Any]:
    """Train the run ``cfg`` describes; write config.yaml, metrics.jsonl, model.safetensors and
    summary.json into the run directory; return the summary.

    Example::

        from trainwise.config import load_config
        summary = run_config(load_config("examples/circles.yaml"), "runs/circles")
    """
    t_start = time.perf_counter()
    if out_dir is not None:
        run_dir = make_run_dir(Path(out_dir).parent, Path(out_dir).name)
    else:
        run_dir = make_run_dir(cfg.output.dir, cfg.output.name, stem)
    write_config(run_dir / "config.yaml", cfg)
    seed_everything(cfg.seed)
    bundle = load_data(cfg.data, seed=cfg.seed)
    echo(bundle.summary())
    model = build_model(cfg.model, bundle.input_shape, bundle.output_dim)
    summary_table = model_summary(model, bundle.input_shape)
    echo(summary_table.render())

    loss_cfg = cfg.loss
    sampler = BalancedSampler(bundle.y_train, seed=cfg.seed) if cfg.data.balanced_sampler else None
    augment = build_augmenter(cfg.data.augment, bundle.kind)
    progress = cfg.training.progress if cfg.training.progress != "off" else False
    result = fit(
        model,
        (bundle.x_train, bundle.y_train),
        val_data=(bundle.x_val, bundle.y_val) if bundle.x_val is not None else None,
        test_data=(bundle.x_test, bundle.y_test) if bundle.x_test is not None else None,
        loss=loss_cfg,
        optimizer=cfg.optimizer,
        epochs=cfg.training.epochs,
        batch_size=cfg.training.batch_size,
        schedule=cfg.schedule,
        regularization=cfg.regularization,
        callbacks=build_callbacks(cfg),
        shuffle=cfg.data.shuffle and not cfg.data.faults.sort_by_label,
        augment=augment,
        sampler=sampler,
        class_weight=bundle.class_weights,
        grad_clip_norm=cfg.training.grad_clip_norm,
        grad_clip_value=cfg.training.grad_clip_value,
        doctor=cfg.doctor,
        seed=cfg.seed,
        device=cfg.training.device,
        verbose=progress,
        out_dir=run_dir,
    )
    best = result.best_epoch or {}
    summary = {
        "run_dir": str(run_dir),
        "epochs_run": len(result.history),
        "best_epoch": best.get("epoch"),
        "best": {k: v for k, v in best.items() if k not in ("epoch", "time")},
        "final": {
            k: v for k, v in (result.history[-1] if result.history else {}).items() if k != "time"
        },
        "test": result.test_metrics,
        "train_seconds": result.wall_time,
        "total_seconds": time.perf_counter() - t_start,
        "params": summary_table.total_params,
        "stop_reason": result.stop_reason,
        "python": sys.version.split()[0],
    }
    write_json(run_dir / "summary.json", summary)
    return summary
