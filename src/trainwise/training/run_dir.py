"""Run directories: where a run writes its config, metrics log, weights and summary."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import yaml

from trainwise.errors import ConfigError


def make_run_dir(parent: str | Path, name: str | None, stem: str = "run") -> Path:
    """``parent/name``, or ``parent/<stem>-<YYYYmmdd-HHMMSS>`` (with a suffix if taken)."""
    parent = Path(parent)
    if name is None:
        base = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
        name, i = base, 1
        while (parent / name).exists():
            i += 1
            name = f"{base}-{i}"
    path = parent / name
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"output directory {str(path)!r} is not writable ({exc.strerror}); choose another "
            "with --out DIR or output.dir"
        ) from None
    return path


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Atomic JSON write (temp file + rename), so readers never see half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def write_config(path: Path, config) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    os.replace(tmp, path)
