"""``trainwise run``: from a validated config to a finished run directory.

This is how a config value travels: YAML -> :class:`~trainwise.run.schema.Config` (validated)
-> each section to its package's builder (``load_data``, ``build_model``, ...) -> ``tw.fit``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from trainwise import run_files
from trainwise.callbacks.early_stopping import EarlyStopping
from trainwise.callbacks.ema import EMA
from trainwise.callbacks.model_checkpoint import ModelCheckpoint
from trainwise.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from trainwise.callbacks.tensorboard import TensorBoard
from trainwise.checkpoint.drift import check_drift
from trainwise.checkpoint.manager import CheckpointManager
from trainwise.data.augment import build_augmenter
from trainwise.data.balanced_sampler import BalancedSampler
from trainwise.data.load import load_data
from trainwise.errors import CheckpointError, ConfigError, TrainwiseError
from trainwise.models.build import build_model
from trainwise.models.summary import model_summary
from trainwise.run.schema import Config
from trainwise.training.distributed import rank_from_env, world_size_from_env
from trainwise.training.fit import fit
from trainwise.training.run_dir import make_run_dir, write_config, write_json
from trainwise.training.seeding import seed_everything


def build_callbacks(cfg: Config) -> list:
    """The callbacks a config's ``callbacks:`` section asks for. On a data-parallel rank other
    than 0 those that only write files (TensorBoard, ModelCheckpoint) are left out: rank 0
    writes them, and the rest decide alike everywhere (same logs on every rank)."""
    main = rank_from_env() == 0
    cbs: list = []
    es = cfg.callbacks.early_stopping
    if es is not None:
        cbs.append(EarlyStopping(**es.model_dump()))
    pl = cfg.callbacks.reduce_lr_on_plateau
    if pl is not None:
        cbs.append(ReduceLROnPlateau(**pl.model_dump()))
    tb = cfg.callbacks.tensorboard
    if tb is not None and main:  # dir None: <run dir>/tensorboard, resolved when training starts
        tb_args = tb.model_dump()
        cbs.append(TensorBoard(log_dir=tb_args.pop("dir"), **tb_args))
    if cfg.callbacks.ema is not None:
        cbs.append(EMA(**cfg.callbacks.ema.model_dump()))
    if cfg.callbacks.model_checkpoint is not None and main:  # dirpath None: <run dir>/best
        cbs.append(ModelCheckpoint(**cfg.callbacks.model_checkpoint.model_dump()))
    return cbs


def fit_kwargs(cfg: Config, bundle) -> dict[str, Any]:
    """The ``tw.fit`` keyword arguments a config stands for, given its loaded data (everything
    but the model and where the run is written). Shared by ``trainwise run``, ``doctor``,
    ``lr-find``, cross-validation and the benchmarks, so a config means the same everywhere."""
    sampler = BalancedSampler(bundle.y_train, seed=cfg.seed) if cfg.data.balanced_sampler else None
    progress = cfg.training.progress if cfg.training.progress != "off" else False
    return dict(
        train_data=(bundle.x_train, bundle.y_train),
        val_data=(bundle.x_val, bundle.y_val) if bundle.x_val is not None else None,
        test_data=(bundle.x_test, bundle.y_test) if bundle.x_test is not None else None,
        loss=cfg.loss,
        optimizer=cfg.optimizer,
        epochs=cfg.training.epochs,
        batch_size=cfg.training.batch_size,
        schedule=cfg.schedule,
        regularization=cfg.regularization,
        callbacks=build_callbacks(cfg),
        shuffle=cfg.data.shuffle and not cfg.data.faults.sort_by_label,
        augment=build_augmenter(cfg.data.augment, bundle.kind),
        sampler=sampler,
        class_weight=bundle.class_weights,
        grad_clip_norm=cfg.training.grad_clip_norm,
        grad_clip_value=cfg.training.grad_clip_value,
        precision=cfg.training.precision,
        accumulate_steps=cfg.training.accumulate_steps,
        tf32=cfg.training.tf32,
        compile=cfg.training.compile,
        doctor=cfg.doctor,
        seed=cfg.seed,
        device=cfg.training.device,
        verbose=progress,
        checkpoint_every_epochs=cfg.checkpoint.every_epochs,
        checkpoint_every_steps=cfg.checkpoint.every_steps,
        keep_checkpoints=cfg.checkpoint.keep,
    )


def chosen_dir(cfg: Config, out_dir, stem: str, resume: bool, what: str = "run") -> Path | None:
    """Where the user asked the output to go: ``out_dir``; or ``output.dir/output.name``; on
    resume the newest ``output.dir/<stem>-*``. None means "a new ``<stem>-<time>``"."""
    if out_dir is not None:
        return Path(out_dir)
    if cfg.output.name is not None:
        return Path(cfg.output.dir) / cfg.output.name
    if resume:
        found = sorted(
            # a refused run (error.txt) has nothing to resume: the newest real one is meant
            (
                p
                for p in Path(cfg.output.dir).glob(f"{stem}-*")
                if not (p / run_files.ERROR).is_file()
            ),
            key=lambda p: p.stat().st_mtime,
        )
        if not found:
            raise CheckpointError(
                f"--resume: no {what} of {stem!r} in {cfg.output.dir!r}; give its directory "
                "with --out DIR"
            )
        return found[-1]
    return None


def resolve_run_dir(cfg: Config, out_dir, stem: str, resume: bool) -> Path:
    """The run directory (see :func:`chosen_dir`), or a new ``output.dir/<stem>-<time>``. A new
    run never writes into a directory that already holds checkpoints (that would mix two
    runs)."""
    run_dir = chosen_dir(cfg, out_dir, stem, resume)
    if run_dir is None:
        return make_run_dir(cfg.output.dir, None, stem)
    ckpts = run_dir / run_files.CHECKPOINTS
    if resume and not ckpts.is_dir():
        raise CheckpointError(f"--resume: {str(run_dir)!r} has no checkpoints to resume from")
    if not resume and ckpts.is_dir() and any(ckpts.iterdir()):
        raise CheckpointError(
            f"{str(run_dir)!r} already holds checkpoints of a run; add --resume to continue it, "
            "or choose another --out"
        )
    return make_run_dir(run_dir.parent, run_dir.name)


def run_config(
    cfg: Config,
    out_dir: str | Path | None = None,
    stem: str = "run",
    echo=print,
    resume: bool | str = False,
    config_path: str | None = None,
    bundle=None,
    resume_hint: str | None = None,
    allow_world_size_change: bool = False,
) -> dict[str, Any]:
    """Train the run ``cfg`` describes; write config.yaml, metrics.jsonl, model.safetensors and
    summary.json into the run directory; return the summary.

    ``cfg`` is a :class:`Config` or a mapping of sections (validated: a bad value is a
    ``ConfigError``). ``bundle`` (a DataBundle) replaces the data ``cfg.data`` would load, e.g.
    one fold of a cross-validation; ``resume_hint`` replaces the "how to resume" command
    printed on a stop.

    A run refused before its first step (data with NaN, labels out of range, a missing file,
    a model that does not fit the data) raises, and its directory keeps only config.yaml and
    error.txt, the error's message: a folder that says why, never one that looks like a run.

    summary.json says whether the doctor ran: ``"doctor": "on"`` with ``"findings"`` (a list,
    empty for a clean run), or ``"doctor": "off"`` with ``"findings": null`` (nothing was
    checked, which is not a clean bill).

    ``resume="auto"`` resumes when the run directory holds a checkpoint and starts otherwise:
    what a torchrun restart needs, since it repeats the same arguments. Under torchrun
    (``WORLD_SIZE`` > 1) the directory must be named (``out_dir`` or ``output.name``) so every
    rank and every restart meets in it; rank 0 alone writes config.yaml, summary.json and the
    report, the other ranks train and return the same summary without writing it.

    Example::

        from trainwise.run import load_config
        summary = run_config(load_config("examples/circles.yaml"), "runs/circles")
    """
    if not isinstance(cfg, Config):
        cfg = Config.model_validate(cfg)
    t_start = time.perf_counter()
    main = rank_from_env() == 0
    if not main:  # rank 0 says everything once
        echo = _silent
    resume = _auto_resume(cfg, out_dir, stem, resume)
    if not main:
        return _train_quietly(cfg, out_dir, stem, bundle, resume, allow_world_size_change)
    run_dir = resolve_run_dir(cfg, out_dir, stem, resume)
    config_dict = cfg.model_dump(mode="json")
    if resume:
        found = CheckpointManager(run_dir / run_files.CHECKPOINTS, echo=echo).latest_good()
        if found is not None:
            check_drift(found[2].get("meta", {}).get("config", {}), config_dict, echo=echo)
    (run_dir / run_files.ERROR).unlink(missing_ok=True)  # an earlier refusal's, now stale
    write_config(run_dir / run_files.CONFIG, cfg)
    hint = resume_hint or (
        f"trainwise {'run ' + str(config_path) if config_path else 'demo'} --resume --out {run_dir}"
    )
    try:
        result, params = _train(cfg, run_dir, bundle, resume, hint, echo, allow_world_size_change)
    except TrainwiseError as exc:
        if not resume and not _started(run_dir):
            write_refusal(run_dir, exc)
        raise
    if result.interrupted:
        return {"run_dir": str(run_dir), "interrupted": True, "stop_reason": result.stop_reason}
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
        "params": params,
        "stop_reason": result.stop_reason,
        "doctor": "on" if cfg.doctor else "off",
        # None, not []: a run the doctor did not watch has no verdict, not a clean one
        "findings": [f.to_dict() for f in result.findings] if cfg.doctor else None,
        "python": sys.version.split()[0],
    }
    write_json(run_dir / run_files.SUMMARY, summary)
    # lazy: start-up time (the report pulls in matplotlib and Jinja2, ~1 s; fold and trial
    # workers import this module too)
    from trainwise.report import write_report_or_warn

    summary["report"] = write_report_or_warn(run_dir, echo)
    return summary


def _auto_resume(cfg: Config, out_dir, stem: str, resume: bool | str) -> bool:
    """``resume`` as a bool: "auto" is True when the named run directory holds a checkpoint.
    Several processes need a named directory (each rank and each restart must find it)."""
    named = chosen_dir(cfg, out_dir, stem, False)
    if named is None and world_size_from_env() > 1:
        raise ConfigError(
            f"--out: required with {world_size_from_env()} processes (or output.name), so every "
            "rank and every torchrun restart writes the same run directory; allowed: a path"
        )
    if resume != "auto":
        return bool(resume)
    ckpts = named / run_files.CHECKPOINTS if named is not None else None
    return bool(ckpts is not None and ckpts.is_dir() and any(ckpts.glob("step-*")))


def _train_quietly(cfg: Config, out_dir, stem: str, bundle, resume: bool, allow: bool):
    """A data-parallel rank other than 0: train alongside rank 0, write nothing."""
    run_dir = chosen_dir(cfg, out_dir, stem, False)
    result, _ = _train(cfg, run_dir, bundle, resume, "", _silent, allow)
    if result.interrupted:
        return {"run_dir": str(run_dir), "interrupted": True, "stop_reason": result.stop_reason}
    return {"run_dir": str(run_dir), "epochs_run": len(result.history), "rank": rank_from_env()}


def _silent(*args, **kwargs) -> None:
    """The echo of data-parallel ranks other than 0."""


def _train(
    cfg: Config,
    run_dir: Path,
    bundle,
    resume: bool,
    hint: str,
    echo,
    allow_world_size_change: bool = False,
):
    """Seed, load the data (unless given), build the model, ``tw.fit``; returns the fit's
    result and the model's parameter count."""
    seed_everything(cfg.seed)
    if bundle is None:
        bundle = load_data(cfg.data, seed=cfg.seed)
    echo(bundle.summary())
    model = build_model(cfg.model, bundle.input_shape, bundle.output_dim)
    summary_table = model_summary(model, bundle.input_shape)
    echo(summary_table.render())
    result = fit(
        model,
        **fit_kwargs(cfg, bundle),
        out_dir=run_dir,
        resume=resume,
        run_meta={"config": cfg.model_dump(mode="json")},
        resume_hint=hint,
        echo=echo,
        allow_world_size_change=allow_world_size_change,
    )
    return result, summary_table.total_params


def _started(run_dir: Path) -> bool:
    """Whether training wrote anything a run is made of (an epoch, a checkpoint, weights)."""
    metrics = run_dir / run_files.METRICS
    ckpts = run_dir / run_files.CHECKPOINTS
    return (
        (metrics.is_file() and metrics.stat().st_size > 0)
        or (ckpts.is_dir() and any(ckpts.iterdir()))
        or (run_dir / run_files.WEIGHTS).is_file()
    )


def write_refusal(run_dir: Path, exc: BaseException) -> Path:
    """Write why a run was refused before its first step into ``run_dir/error.txt`` (next to
    its config.yaml) and return that path: the folder then says what went wrong instead of
    looking like a run that left no results.

    Example::

        from trainwise.errors import DataError
        write_refusal(Path("runs/circles-refused"), DataError("x: NaN"))
    """
    path = run_dir / run_files.ERROR
    path.write_text(
        f"This run was refused before its first step; nothing was trained.\n"
        f"error: {exc}\n"
        f"config: {run_files.CONFIG} (fix it, or the data, and run again)\n",
        encoding="utf-8",
    )
    return path
