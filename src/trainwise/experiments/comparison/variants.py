"""Variants of a config: named sets of ``--set``-style overrides, and their validated configs.

Two ways to name them:

* ``--vary a.b=v1,v2`` (repeatable): the cartesian product of the values of every ``--vary``,
  in the order given, the last key varying fastest. Values are typed like ``--set`` (YAML:
  ``1e-3`` a float, ``true`` a bool, ``[32, 64]`` a list; commas inside brackets or quotes do
  not split). Names are ``"a.b=v1"`` or ``"a.b=v1, c.d=x"`` with the values as written.
* the ``compare.variants`` section: ``{name: {dotted.key: value}}``, in file order.

Every variant's config is built and validated before any trial runs, so a misspelt key or a
bad value in the fifth variant fails at once, naming the variant, the key, the value and what
is allowed.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from trainwise.config.overrides import apply_overrides, parse_value
from trainwise.config.validate import validate_config
from trainwise.errors import ConfigError
from trainwise.run.compare_config import CompareConfig
from trainwise.run.schema import Config

#: Keys a variant may not set: the trials own the seed (config seed + seed index), the
#: comparison owns the output folders, and a variant of the compare section means nothing.
RESERVED = {
    "seed": "the trials' seeds are the config seed + 0..N-1; set `seed` in the config or use "
    "--seeds N",
    "output": "trials are written under the comparison's folder (use --out DIR)",
    "compare": "a variant cannot change the comparison itself",
}


@dataclass(frozen=True)
class Variant:
    """One named override set: ``overrides`` maps dotted keys to typed values."""

    name: str
    overrides: dict[str, Any] = field(default_factory=dict)


def split_values(text: str) -> list[str]:
    """Split ``text`` at commas outside brackets, braces and quotes; strip each piece.

    Hand-written: a YAML flow list would type the values but lose the text they were written
    as, which names the variant; csv has no notion of brackets.

    Example::

        >>> split_values("[32, 64],[128], 'a,b'")
        ['[32, 64]', '[128]', "'a,b'"]
    """
    pieces, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            pieces.append(text[start:i].strip())
            start = i + 1
    pieces.append(text[start:].strip())
    return pieces


def _check_key(key: str, where: str) -> None:
    parts = key.split(".")
    if not key or any(not p for p in parts):
        raise ConfigError(f"{where}: {key!r} is not a dotted key; expected e.g. model.dropout")
    if parts[0] in RESERVED:
        raise ConfigError(f"{where}: {key!r} cannot be varied: {RESERVED[parts[0]]}")


def parse_vary(item: str) -> tuple[str, list[tuple[str, Any]]]:
    """``"a.b=v1,v2"`` -> ``("a.b", [("v1", typed v1), ("v2", typed v2)])``.

    Example::

        >>> parse_vary("optimizer.lr=1e-3,1e-2")
        ('optimizer.lr', [('1e-3', 0.001), ('1e-2', 0.01)])
    """
    key, sep, raw = item.partition("=")
    key = key.strip()
    where = f"--vary {item!r}"
    if not sep:
        raise ConfigError(f"{where}: expected KEY=V1,V2,... e.g. --vary model.dropout=0,0.2")
    _check_key(key, where)
    texts = split_values(raw)
    if any(t == "" for t in texts):
        raise ConfigError(f"{where}: empty value in {raw!r}; give values like 0,0.2")
    if len(set(texts)) != len(texts):
        raise ConfigError(f"{where}: a value is repeated in {raw!r}; each value must differ")
    return key, [(t, parse_value(t)) for t in texts]


def variants_from_vary(items: list[str]) -> list[Variant]:
    """The cartesian product of several ``--vary`` items (the last varies fastest).

    Example::

        >>> [v.name for v in variants_from_vary(["model.dropout=0,0.2", "optimizer.lr=1e-3"])]
        ['model.dropout=0, optimizer.lr=1e-3', 'model.dropout=0.2, optimizer.lr=1e-3']
    """
    parsed = [parse_vary(item) for item in items]
    keys = [k for k, _ in parsed]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ConfigError(
            f"--vary: {', '.join(repeated)} given more than once; list all its values in one "
            "--vary, e.g. --vary model.dropout=0,0.1,0.2"
        )
    out = []
    for combo in itertools.product(*(values for _, values in parsed)):
        name = ", ".join(f"{k}={text}" for k, (text, _) in zip(keys, combo))
        out.append(Variant(name, {k: value for k, (_, value) in zip(keys, combo)}))
    return out


def variants_from_mapping(mapping: dict[str, dict[str, Any] | None]) -> list[Variant]:
    """Variants from ``{name: {dotted.key: value}}`` (the ``compare.variants`` section or the
    ``variants=`` argument of ``tw.compare``), in the mapping's order; None is ``{}``.

    Example::

        >>> variants_from_mapping({"baseline": {}, "+dropout": {"model.dropout": 0.2}})[1]
        Variant(name='+dropout', overrides={'model.dropout': 0.2})
    """
    out = []
    for name, overrides in mapping.items():
        if overrides is None:
            overrides = {}
        if not isinstance(overrides, dict):
            raise ConfigError(
                f"compare.variants.{name}: {overrides!r} is not allowed; expected a mapping of "
                "dotted keys to values, e.g. {model.dropout: 0.2}"
            )
        for key in overrides:
            _check_key(str(key), f"variant {name!r}")
        out.append(Variant(str(name), {str(k): v for k, v in overrides.items()}))
    return out


def variant_configs(base: dict[str, Any], variants: list[Variant]) -> dict[str, Any]:
    """Apply each variant to the raw config dict ``base`` and validate it: ``{name: Config}``.

    Every problem of every variant is reported in one ConfigError, each line naming the
    variant, the key, the value and what is allowed. The ``compare`` section of each result
    is reset to its defaults (a trial is a plain run).

    Example::

        >>> cfgs = variant_configs({}, [Variant("b", {"optimizer.lr": 0.01})])
        >>> cfgs["b"].optimizer.lr
        0.01
    """
    out: dict[str, Any] = {}
    errors: list[str] = []
    for v in variants:
        # JSON is YAML, so the override parser reads each typed value back unchanged: one
        # dotted-key setter for --set, --vary and the compare section.
        sets = [f"{k}={json.dumps(value, default=str)}" for k, value in v.overrides.items()]
        try:
            cfg = validate_config(apply_overrides(base, sets), Config)
        except ConfigError as exc:
            errors += [f"variant {v.name!r}: {e}" for e in exc.errors]
            continue
        out[v.name] = cfg.model_copy(update={"compare": CompareConfig()})
    if errors:
        head = f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in the variants:"
        raise ConfigError("\n".join([head] + [f"  - {e}" for e in errors]), errors)
    return out


def pick_baseline(
    variants: list[Variant], configs: dict[str, Any], base_cfg, asked: str | None = None
) -> str:
    """The baseline's name: ``asked`` if given (it must be a variant), else the variant whose
    config equals ``base_cfg`` (the config unchanged), else the first variant.

    Example::

        >>> from trainwise.run.schema import Config
        >>> vs = variants_from_vary(["optimizer.lr=1e-2,1e-3"])
        >>> pick_baseline(vs, variant_configs({}, vs), Config())  # the default lr is 1e-3
        'optimizer.lr=1e-3'
    """
    names = [v.name for v in variants]
    if asked is not None:
        if asked not in names:
            raise ConfigError(
                f"baseline: {asked!r} is not a variant; allowed: {', '.join(map(repr, names))}"
            )
        return asked
    plain = base_cfg.model_copy(update={"compare": CompareConfig()}).model_dump(mode="json")
    for name in names:
        if configs[name].model_dump(mode="json") == plain:
            return name
    return names[0]
