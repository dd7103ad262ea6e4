"""Looking a config name up in a registry of canonical names and aliases.

Activations and initializers (and any later name-keyed choice) accept the same spellings: case
is ignored and "-" or " " read as "_" ("Leaky-ReLU" is "leaky_relu"), then an alias maps to
its canonical name. An unknown name raises :class:`ConfigError` naming the field, the value and
the allowed names, so every registry reports mistakes the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from trainwise.errors import ConfigError


def normalize_name(name: object) -> str:
    """``name`` lower-cased and stripped, with "-" and " " read as "_".

    >>> normalize_name(" Leaky-ReLU ")
    'leaky_relu'
    """
    return str(name).strip().lower().replace("-", "_").replace(" ", "_")


def canonical_name(
    name: object,
    known: Iterable[str],
    aliases: Mapping[str, str],
    *,
    kind: str,
    field: str | None,
    list_aliases: bool = False,
) -> str:
    """The canonical entry of ``known`` that ``name`` spells (directly or via ``aliases``).

    Otherwise raises :class:`ConfigError`: ``"{field}: {name!r} is not a known {kind};
    allowed: ..."``; ``field=None`` leaves the prefix out (a pydantic validator's location
    already names the field) and ``list_aliases=True`` (default False) appends the aliases.

    >>> canonical_name("Logistic", ["relu", "sigmoid"], {"logistic": "sigmoid"},
    ...                kind="activation", field="model.activation")
    'sigmoid'
    """
    known = list(known)
    key = normalize_name(name)
    key = aliases.get(key, key)
    if key in known:
        return key
    prefix = f"{field}: " if field else ""
    hint = f" (aliases: {', '.join(aliases)})" if list_aliases else ""
    raise ConfigError(f"{prefix}{name!r} is not a known {kind}; allowed: {', '.join(known)}{hint}")
