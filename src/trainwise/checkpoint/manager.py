"""The checkpoints of one run: save with pruning, find the newest good one, clean up."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from trainwise.checkpoint.store import (
    STAGING_PREFIX,
    read_checkpoint,
    verify_checkpoint,
    write_checkpoint,
)
from trainwise.errors import CheckpointError

_NAME = re.compile(r"^step-(\d{9})$")


class CheckpointManager:
    """Checkpoints under ``root`` named ``step-000000120`` (the optimizer step).

    Args:
        root: the directory holding them (created if missing).
        keep: how many of the newest to keep (default 3; older ones are deleted after a
            successful save, so a failed save never leaves fewer good checkpoints).
        echo: where messages go (default print).
        writer: whether this process writes here (default True). A data-parallel rank other
            than 0 passes False: it only reads (no directory created, no staging cleaned
            while rank 0 may be saving, ``save`` refused).

    Example::

        mgr = CheckpointManager("runs/a/checkpoints")
        mgr.save(120, model.state_dict(), {"epoch": 3})
        path, model_state, state = mgr.latest_good()
    """

    def __init__(
        self,
        root: str | Path,
        keep: int = 3,
        echo: Callable[[str], Any] = print,
        writer: bool = True,
    ):
        if keep < 1:
            raise CheckpointError(f"checkpoint.keep: {keep!r} is not allowed; must be >= 1")
        self.root = Path(root)
        self.keep = keep
        self.echo = echo
        self.writer = writer
        if writer:
            self.root.mkdir(parents=True, exist_ok=True)
            self.clean_staging()

    def clean_staging(self) -> list[Path]:
        """Remove staging directories abandoned by a crashed save."""
        removed = [p for p in self.root.iterdir() if p.name.startswith(STAGING_PREFIX)]
        for p in removed:
            shutil.rmtree(p, ignore_errors=True)
        if removed:
            self.echo(f"removed {len(removed)} unfinished checkpoint save(s) left by a crash")
        return removed

    def checkpoints(self) -> list[Path]:
        """Finished checkpoint directories, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if p.is_dir() and _NAME.match(p.name))

    def path_for(self, step: int) -> Path:
        return self.root / f"step-{step:09d}"

    def save(
        self, step: int, model_state: dict[str, torch.Tensor], state: dict[str, Any]
    ) -> Path | None:
        """Save (unless this step already has a good checkpoint) and prune old ones. A damaged
        checkpoint at this step (skipped on resume) is replaced, so it cannot stay the newest."""
        if not self.writer:
            raise CheckpointError(
                f"checkpoint: this process only reads {str(self.root)!r} (writer=False: a "
                "data-parallel rank other than 0); allowed: saving from rank 0"
            )
        target = self.path_for(step)
        if target.exists():
            try:
                verify_checkpoint(target)
                return None
            except CheckpointError:
                self.echo(f"replacing damaged checkpoint {target.name}")
                shutil.rmtree(target)
        write_checkpoint(target, model_state, state)
        for old in self.checkpoints()[: -self.keep]:
            shutil.rmtree(old, ignore_errors=True)
        return target

    def latest_good(
        self, map_location: str | torch.device = "cpu"
    ) -> tuple[Path, dict[str, torch.Tensor], dict[str, Any]] | None:
        """The newest checkpoint that verifies; bad ones are skipped with a message.
        ``map_location``: where the model's tensors are loaded (see ``read_checkpoint``)."""
        for path in reversed(self.checkpoints()):
            try:
                model_state, state = read_checkpoint(path, map_location)
            except CheckpointError as exc:
                self.echo(f"skipping checkpoint {path.name}: {exc}")
                continue
            return path, model_state, state
        return None
