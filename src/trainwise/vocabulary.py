"""The words every layer shares: tasks, name spelling, metric direction, number formatting.

One home for each, so the doctor, the training loop, the experiments and the reports agree:

- **tasks**: :data:`TASKS`, :func:`check_task` (one message) and :func:`infer_task` (one rule
  for guessing the task from targets).
- **names**: :func:`normalise_name` and :func:`canonical` (one rule set, with a did-you-mean
  hint) behind models, activations, initializers, losses, optimizers and schedules, so
  "Leaky-ReLU", "LeakyReLU", "Adam-W", "AdamW" and "one_cycle" are all read the same way.
- **metric direction**: :func:`metric_mode` ("min" for losses and errors, "max" for
  accuracy-like scores).
- **numbers**: :func:`format_number`, :func:`format_value`, :func:`format_metric`.

Bottom layer: imports only the standard library, numpy, torch and :mod:`trainwise.errors`.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch

from trainwise.errors import ConfigError

# --------------------------------------------------------------------------------- tasks

#: The tasks trainwise knows; they pick the metrics, the targets' checks and the doctor's rules.
TASKS = ("classification", "binary", "regression")


def check_task(
    task: object,
    field: str = "task",
    allow_none: bool = False,
    error: type[Exception] = ConfigError,
) -> str | None:
    """``task`` if it is one of :data:`TASKS` (or None when ``allow_none``, default False);
    else ``error`` (default :class:`ConfigError`; the Doctor's arguments raise
    :class:`~trainwise.errors.ArgumentTypeError`) naming ``field`` (default "task"), the value
    and what is allowed.

    Example::

        >>> check_task("binary")
        'binary'
        >>> check_task("ranking")
        Traceback (most recent call last):
        trainwise.errors.ConfigError: task: 'ranking' is not a known task; allowed: classification, binary, regression
    """
    if (task is None and allow_none) or task in TASKS:
        return task  # type: ignore[return-value]
    allowed = ", ".join(TASKS) + (", or None" if allow_none else "")
    raise error(f"{field}: {task!r} is not a known task; allowed: {allowed}")


def infer_task(targets: Any) -> str | None:
    """The task implied by the targets' dtype: ``"regression"`` for floating point, else
    ``"classification"`` (integer, bool or string labels). Tensors and arrays are read by
    their dtype, other sequences as ``np.asarray`` reads them (as the training loop turns
    them into tensors); None for None or something that is not array-like.

    The dtype is the one signal the user chose on purpose, so values are not inspected:
    0/1 integer labels stay "classification" (two logits and cross-entropy, as a two-class
    problem is trained unless a binary loss is named), and float one-hot rows read as
    "regression" (pass ``task=`` or integer labels for classification).

    Example::

        >>> infer_task(torch.tensor([0, 2, 1])), infer_task(np.array([0.5, 1.5]))
        ('classification', 'regression')
    """
    if targets is None:
        return None
    dtype = getattr(targets, "dtype", None)
    if dtype is None:
        try:
            dtype = np.asarray(targets).dtype
        except (TypeError, ValueError):  # ragged or otherwise not array-like
            return None
    if isinstance(dtype, torch.dtype):
        floating = dtype.is_floating_point or dtype.is_complex
    else:
        floating = np.issubdtype(np.dtype(dtype), np.inexact)
    return "regression" if floating else "classification"


# --------------------------------------------------------------------------------- names

# A lower-case letter or digit followed by an upper-case one starts a new word in CamelCase.
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def normalise_name(name: object) -> str:
    """``name`` as a config key: stripped, CamelCase split into words (only when the name
    has no separator and mixes cases, so "GELU" and "Leaky-ReLU" keep their words),
    lower-cased, and runs of spaces or "-" read as "_".

    Example::

        >>> normalise_name(" Leaky-ReLU "), normalise_name("MeanSquaredError")
        ('leaky_relu', 'mean_squared_error')
    """
    text = str(name).strip()
    spaced = re.search(r"[\s\-_]", text) is not None
    if not spaced and text != text.lower() and text != text.upper():
        text = _CAMEL_RE.sub("_", text)
    return re.sub(r"[\s\-]+", "_", text.lower())


def name_key(name: object) -> str:
    """The key two spellings of one name share: :func:`normalise_name` without "_".
    Separators carry no meaning in a name: "one_cycle", "OneCycle", "Adam-W" and "adamw" must
    meet, and CamelCase splitting must not matter ("ReLU" -> "re_lu" -> "relu"). For names
    outside any registry (a torch optimizer's class name); :func:`canonical` uses it too.

    Example::

        >>> name_key("Adam-W"), name_key("AdamW"), name_key("one_cycle")
        ('adamw', 'adamw', 'onecycle')
    """
    return normalise_name(name).replace("_", "")


def _article(kind: str) -> str:
    return "an" if kind[:1].lower() in "aeiou" else "a"


def canonical(
    name: object,
    allowed: Iterable[str],
    aliases: Mapping[str, str] | None = None,
    field: str | None = None,
    *,
    kind: str = "name",
    list_aliases: bool = False,
    note: str = "",
) -> str:
    """The entry of ``allowed`` that ``name`` spells, directly or through ``aliases``.

    Names are compared after :func:`normalise_name`, and then with "_" ignored, so case,
    "-", " ", "_" and CamelCase never matter. Otherwise raises :class:`ConfigError`:
    ``"{field}: {name!r} is not a known {kind}; did you mean 'x'? allowed: ..."`` (the hint
    only when a name is close). ``field=None`` (default) leaves the prefix out (a pydantic
    validator's location already names the field); ``list_aliases=True`` (default False)
    appends the aliases, ``note`` (default "") is appended as is.

    Example::

        >>> canonical("Adam-W", ["adam", "adamw"], kind="optimizer")
        'adamw'
        >>> canonical("Logistic", ["relu", "sigmoid"], {"logistic": "sigmoid"})
        'sigmoid'
    """
    allowed = list(allowed)
    aliases = dict(aliases or {})
    table = {normalise_name(a): a for a in allowed}
    # an alias pointing outside ``allowed`` must not let an unknown name through
    table.update({normalise_name(k): v for k, v in aliases.items() if v in allowed})
    prefix = f"{field}: " if field else ""
    listed = ", ".join(allowed)
    if not isinstance(name, str):
        raise ConfigError(
            f"{prefix}must be a string naming {_article(kind)} {kind}, got {name!r}; "
            f"allowed: {listed}"
        )
    key = normalise_name(name)
    if key in table:
        return table[key]
    compact: dict[str, set[str]] = {}
    for k, v in table.items():
        compact.setdefault(k.replace("_", ""), set()).add(v)
    match = compact.get(key.replace("_", ""), set())
    if len(match) == 1:  # two different names that differ only in "_" are never merged
        return next(iter(match))
    close = difflib.get_close_matches(key, list(table), n=1, cutoff=0.6)
    hint = f"did you mean {table[close[0]]!r}? " if close else ""
    extra = f" (aliases: {', '.join(aliases)})" if list_aliases and aliases else ""
    raise ConfigError(
        f"{prefix}{name!r} is not a known {kind}; {hint}allowed: {listed}{extra}{note}"
    )


# ----------------------------------------------------------------------- metric direction

# Substrings that mark a metric as better lower / better higher; the lower list is read
# first, so "val_error_rate_acc"-like mixes count as errors. "min" wins for an unknown name,
# as in Keras: most monitored values are losses, and times or epoch counts also shrink.
_LOWER_IS_BETTER = ("loss", "mse", "mae", "error")
_HIGHER_IS_BETTER = ("acc", "auc", "f1", "precision", "recall")


def metric_mode(name: str) -> str:
    """``"min"`` if a smaller ``name`` is better (loss, mse, mae, error; and any unknown name,
    such as a time), ``"max"`` for accuracy-like scores (acc, auc, f1, precision, recall).
    Case is ignored.

    Example::

        >>> metric_mode("val_loss"), metric_mode("test_accuracy"), metric_mode("val_auc")
        ('min', 'max', 'max')
    """
    low = name.lower()
    if any(w in low for w in _LOWER_IS_BETTER):
        return "min"
    return "max" if any(w in low for w in _HIGHER_IS_BETTER) else "min"


# -------------------------------------------------------------------------------- numbers


def format_number(x: float | None, digits: int = 3) -> str:
    """``x`` to ``digits`` (default 3) significant digits for a message; None as "n/a".

    Example::

        >>> format_number(0.000123456), format_number(1234.5), format_number(None)
        ('0.000123', '1.23e+03', 'n/a')
    """
    if x is None:
        return "n/a"
    return f"{x:.{digits}g}"


def format_value(v: Any, digits: int = 3) -> str:
    """A compact string for an evidence value or a config override: floats to ``digits``
    (default 3) significant digits, booleans in YAML spelling, lists and dicts as short JSON
    (at most 160 characters), anything else as ``str``.

    Example::

        >>> format_value(0.000123456), format_value(True), format_value([1, 2])
        ('0.000123', 'true', '[1, 2]')
    """
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return format_number(v, digits)
    if isinstance(v, (list, tuple, dict)):
        text = json.dumps(v, default=str)
        return text if len(text) <= 160 else text[:157] + "..."
    return str(v)


def is_percent_metric(metric: str) -> bool:
    """Whether ``metric`` is shown in percent (accuracies).

    >>> is_percent_metric("val_accuracy"), is_percent_metric("val_loss")
    (True, False)
    """
    return "accuracy" in metric


def format_metric(metric: str, value: Any, diff: bool = False, unit: bool = True) -> str:
    """A metric value for a table: accuracies in percent with 2 decimals (differences,
    ``diff=True``, in percentage points), the rest to 4 significant digits; None or
    non-finite as "–". ``unit=False`` (default True) leaves out "%" / " pp".

    Example::

        >>> format_metric("test_accuracy", 0.9512), format_metric("val_accuracy", 0.012, diff=True)
        ('95.12%', '+1.20 pp')
        >>> format_metric("val_loss", 0.21345), format_metric("val_loss", None)
        ('0.2135', '–')
    """
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    sign = "+" if diff and value > 0 else ""
    if is_percent_metric(metric):
        return f"{sign}{100 * value:.2f}" + ((" pp" if diff else "%") if unit else "")
    return f"{sign}{value:.4g}"
