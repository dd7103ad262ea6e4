"""Config loading: YAML (strict safe loader) -> overrides -> pydantic validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trainwise.config.overrides import apply_overrides
from trainwise.config.validate import validate_config
from trainwise.config.yaml_loader import load_yaml_file


def load_config(
    path: str | Path | None = None,
    overrides: list[str] | None = None,
    base: dict[str, Any] | None = None,
):
    """Read ``path`` (or start from ``base``/defaults), apply ``--set`` overrides, validate.

    Example::

        cfg = load_config("examples/mnist1d.yaml", ["optimizer.lr=3e-3"])
    """
    from trainwise.config.schema import Config

    data = dict(base or {})
    if path is not None:
        data.update(load_yaml_file(path))
    data = apply_overrides(data, overrides)
    return validate_config(data, Config)
