"""Compare the config a run was saved with and the one it is resumed with."""

from __future__ import annotations

from typing import Any

from trainwise.errors import CheckpointError

#: Changing these breaks the continuation: other weights' shapes, other data, other order.
BREAKING = ("model", "data", "seed", "training.batch_size")


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in tree.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and v:
            out.update(flatten(v, key))
        else:
            out[key] = v
    return out


def config_drift(saved: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """``[(field, saved value, new value)]`` for every field that differs."""
    a, b = flatten(saved), flatten(new)
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def check_drift(
    saved: dict[str, Any], new: dict[str, Any], echo=print
) -> list[tuple[str, Any, Any]]:
    """Print each difference; refuse the ones that break exactness (model shape, data, seed,
    batch size). Output-only fields (output.*, training.progress) are not reported."""
    changes = [
        c for c in config_drift(saved, new) if not c[0].startswith(("output.", "training.progress"))
    ]
    breaking = [c for c in changes if c[0].startswith(BREAKING)]
    if breaking:
        lines = [f"  - {k}: {a!r} -> {b!r}" for k, a, b in breaking]
        raise CheckpointError(
            "cannot resume: these changes would make the run no longer a continuation of the "
            "saved one (different model shape, data, data order or seed):\n"
            + "\n".join(lines)
            + "\nStart a new run instead (another --out), or undo the changes."
        )
    for k, a, b in changes:
        echo(
            f"config changed since the checkpoint: {k}: {a!r} -> {b!r} (the run continues, but "
            "is no longer exactly what an uninterrupted run would give)"
        )
    return changes
