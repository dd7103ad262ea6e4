"""The callbacks ``tw.fit`` adds to the user's: the metrics log and checkpoints (with a run
directory), the progress display (when verbose) and the training doctor (unless off); then,
after training, the run's own files and the resume that continues a stopped run.

Data-parallel (``dist`` given): every rank checkpoints (the save is a collective) but only
rank 0 writes; the metrics log, progress and doctor are rank 0's alone (``tw.fit`` turns
progress and the doctor off on the other ranks)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from torch import nn

from trainwise import run_files
from trainwise.callbacks.callback import Callback
from trainwise.callbacks.checkpointer import Checkpointer
from trainwise.callbacks.metrics_log import MetricsLog
from trainwise.callbacks.progress import Progress
from trainwise.checkpoint.manager import CheckpointManager
from trainwise.checkpoint.weights import save_weights
from trainwise.doctor.attach import attach_doctor, regularization_of
from trainwise.doctor.doctor import Doctor
from trainwise.errors import CheckpointError
from trainwise.training.distributed import Distributed
from trainwise.training.distributed_checkpointer import DistributedCheckpointer
from trainwise.training.fit_options import FitOptions
from trainwise.training.fit_parts import FitParts
from trainwise.training.trainer import Trainer


def fit_callbacks(
    user_callbacks: list[Callback] | None,
    model: nn.Module,
    opts: FitOptions,
    parts: FitParts,
    run_dir: Path | None,
    *,
    doctor: bool | dict,
    run_meta: dict[str, Any] | None,
    resume: bool,
    resume_hint: str | None,
    echo: Callable,
    dist: Distributed | None = None,
) -> tuple[list[Callback], Checkpointer | None, Doctor | None]:
    """The user's callbacks plus fit's own, in the order they always had; returns them with
    the Checkpointer (None without a run directory or with checkpoints off) and the Doctor
    (None when ``doctor`` is False or None)."""
    cbs: list[Callback] = list(user_callbacks or [])
    checkpointer = None
    if run_dir is not None:
        main = dist is None or dist.is_main
        if main:
            cbs.append(MetricsLog(run_dir / run_files.METRICS))
        every_epochs, every_steps = opts.checkpoint.every_epochs, opts.checkpoint.every_steps
        if every_epochs or every_steps or resume:
            manager = CheckpointManager(
                run_dir / run_files.CHECKPOINTS, keep=opts.checkpoint.keep, echo=echo, writer=main
            )
            kind = Checkpointer if dist is None else partial(DistributedCheckpointer, dist)
            checkpointer = kind(
                manager,
                every_steps=every_steps,
                every_epochs=every_epochs,
                meta=run_meta,
                resume_hint=resume_hint or f"tw.fit(..., out_dir={str(run_dir)!r}, resume=True)",
                echo=echo,
            )
            cbs.append(checkpointer)
    if opts.verbose:
        cbs.append(Progress(opts.verbose))
    doc = None
    if doctor is not False and doctor is not None:
        doc, doc_cb = attach_doctor(
            doctor,
            model,
            parts.optimizer,
            parts.loss_fn,
            parts.task,
            parts.train,
            parts.val,
            parts.test,
            epochs=opts.training.epochs,
            steps_per_epoch=parts.steps_per_epoch,
            regularization=regularization_of(
                model, parts.optimizer, opts.regularization, opts.loss
            ),
            echo=echo if opts.verbose else None,
        )
        cbs.append(doc_cb)
    return cbs, checkpointer, doc


def resume_trainer(trainer: Trainer, checkpointer: Checkpointer, echo: Callable) -> None:
    """Load the newest good checkpoint into ``trainer`` (and its model); without one, start
    over, unless every checkpoint there failed verification."""
    found = checkpointer.manager.latest_good()
    if found is None:
        bad = [p.name for p in checkpointer.manager.checkpoints()]
        if bad:
            # Starting over silently would throw away the work those checkpoints stood for,
            # and a corrupted disk is worth a look; the user decides.
            raise CheckpointError(
                f"resume: found no good checkpoint in {str(checkpointer.manager.root)!r}; "
                f"{', '.join(bad)} failed verification (see above). Allowed: a checkpoint whose "
                "manifest matches its files; restore one, or delete that folder to start over"
            )
        echo(f"no checkpoint in {checkpointer.manager.root}; starting from the beginning")
        return
    path, model_state, state = found
    try:
        trainer.model.load_state_dict(model_state)
    except RuntimeError as exc:
        raise CheckpointError(
            f"checkpoint {str(path)!r} does not fit the model (different architecture?): {exc}"
        ) from None
    trainer.load_state_dict(state["trainer"])
    if trainer.dist is not None and len(set(trainer.dist.gather(trainer.global_step))) > 1:
        # every rank must continue from the same checkpoint (shared storage, no rank behind)
        raise CheckpointError(
            f"resume: the ranks found different newest checkpoints in "
            f"{str(checkpointer.manager.root)!r}; allowed: one directory every rank reads "
            "(shared storage)"
        )
    echo(
        f"resuming from {path.name}: epoch {trainer.epoch + 1}, batch {trainer.start_batch}, "
        f"step {trainer.global_step}"
    )


def write_fit_files(run_dir: Path, trainer: Trainer, doc: Doctor | None) -> None:
    """Final weights and per-step LRs (when training finished; an interrupted run has a
    checkpoint instead), and the doctor's findings and probe history."""
    if not trainer.interrupted:
        save_weights(trainer.model, run_dir / run_files.WEIGHTS)
        # the LR of every optimizer step (index = step); one small write at the end
        (run_dir / run_files.LR_STEPS).write_text(json.dumps(trainer.lr_steps))
    if doc is not None:
        findings = json.dumps([f.to_dict() for f in doc.findings], indent=1)
        (run_dir / run_files.FINDINGS).write_text(findings)
        # the probe history, one JSON line per probed step (report's gradient-flow plots)
        (run_dir / run_files.PROBES).write_text(
            "".join(json.dumps(r) + "\n" for r in doc.probe_log)
        )
