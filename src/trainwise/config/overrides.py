"""``--set a.b=v`` overrides with typed parsing (``1e-4`` is a float, ``true`` a bool)."""

from __future__ import annotations

import copy
from typing import Any

from trainwise.config.yaml_loader import parse_yaml_text
from trainwise.errors import ConfigError


def parse_value(text: str) -> Any:
    """Parse an override value: ints, floats (``1e-4``), bools, ``null``, lists, else a string.

    Example::

        >>> parse_value("1e-4"), parse_value("true"), parse_value("[32, 64]"), parse_value("adam")
        (0.0001, True, [32, 64], 'adam')
    """
    try:
        return parse_yaml_text(text, source="--set value")
    except ConfigError:
        return text  # not valid YAML (e.g. "a: b: c"): keep the raw string


def apply_overrides(config: dict[str, Any], overrides: list[str] | None) -> dict[str, Any]:
    """Return a copy of ``config`` with each ``"a.b=v"`` applied. Unknown keys are left for the
    validator, which reports them with the closest valid key."""
    out = copy.deepcopy(config)
    errors = []
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            errors.append(
                f"--set {item!r}: expected KEY=VALUE with a dotted key, e.g. optimizer.lr=1e-3"
            )
            continue
        node = out
        parts = key.split(".")
        for i, part in enumerate(parts[:-1]):
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            elif not isinstance(nxt, dict):
                errors.append(
                    f"--set {item!r}: {'.'.join(parts[: i + 1])} is a value ({nxt!r}), not a section"
                )
                break
            node = nxt
        else:
            node[parts[-1]] = parse_value(raw)
    if errors:
        raise ConfigError("; ".join(errors), errors)
    return out
