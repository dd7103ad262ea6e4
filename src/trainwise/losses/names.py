"""Loss names: the canonical spellings, their Keras aliases, and what each one expects.

Seven canonical names cover the catalogue. Keras spellings (``mean_squared_error``,
``binary_crossentropy``, ``sparse_categorical_crossentropy``, the CamelCase class names ...)
are aliases, so a config copied from a Keras script works unchanged.
"""

from __future__ import annotations

import difflib
import re

from trainwise.errors import ConfigError

#: canonical name -> (task, what the loss takes as input)
LOSSES: dict[str, tuple[str, str]] = {
    "mse": ("regression", "values"),
    "mae": ("regression", "values"),
    "huber": ("regression", "values"),
    "bce": ("binary", "probabilities"),
    "bce_with_logits": ("binary", "logits"),
    "cross_entropy": ("classification", "logits"),
    "categorical_cross_entropy": ("classification", "logits"),
}

# Every accepted spelling after normalisation (lower case, "-"/" " -> "_", CamelCase split).
_ALIASES: dict[str, str] = {
    "mse": "mse",
    "mean_squared_error": "mse",
    "mae": "mae",
    "mean_absolute_error": "mae",
    "l1": "mae",
    "huber": "huber",
    "huber_loss": "huber",
    "bce": "bce",
    "binary_crossentropy": "bce",
    "binary_cross_entropy": "bce",
    "bce_with_logits": "bce_with_logits",
    "binary_crossentropy_with_logits": "bce_with_logits",
    "binary_cross_entropy_with_logits": "bce_with_logits",
    "cross_entropy": "cross_entropy",
    "crossentropy": "cross_entropy",
    "ce": "cross_entropy",
    "sparse_categorical_crossentropy": "cross_entropy",
    "sparse_categorical_cross_entropy": "cross_entropy",
    "categorical_cross_entropy": "categorical_cross_entropy",
    "categorical_crossentropy": "categorical_cross_entropy",
}

_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _normalise(name: str) -> str:
    text = name.strip()
    if text != text.lower() and text != text.upper():  # "MeanSquaredError" -> mean_squared_error
        text = _CAMEL_RE.sub("_", text)
    return re.sub(r"[\s\-]+", "_", text.lower())


def unknown_loss_message(name: object) -> str | None:
    """The reason ``name`` is not a loss name (without the field prefix), or None if it is one.

    Shared by the config validator (which lets the loader add ``loss.name``) and
    :func:`canonical_loss_name`.
    """
    if not isinstance(name, str):
        return f"must be a string naming a loss; allowed: {', '.join(LOSSES)}"
    if _normalise(name) in _ALIASES:
        return None
    close = difflib.get_close_matches(_normalise(name), list(_ALIASES), n=1, cutoff=0.6)
    hint = f"did you mean {_ALIASES[close[0]]!r}? " if close else ""
    return (
        f"{name!r} is not a known loss; {hint}allowed: {', '.join(LOSSES)} "
        "(Keras spellings such as 'sparse_categorical_crossentropy' also work)"
    )


def canonical_loss_name(name: str) -> str:
    """The canonical name for ``name`` or any of its aliases (case-insensitive).

    Raises ConfigError naming the closest match for an unknown name.

    Example::

        >>> canonical_loss_name("sparse_categorical_crossentropy")
        'cross_entropy'
        >>> canonical_loss_name("MeanSquaredError")
        'mse'
    """
    problem = unknown_loss_message(name)
    if problem is not None:
        raise ConfigError(f"loss.name: {problem}")
    return _ALIASES[_normalise(name)]


def loss_task(name: str) -> str:
    """``"classification"``, ``"binary"`` or ``"regression"``: which metrics and targets apply.

    Example::

        >>> loss_task("binary_crossentropy"), loss_task("huber")
        ('binary', 'regression')
    """
    return LOSSES[canonical_loss_name(name)][0]


def loss_input(name: str, from_logits: bool | None = None) -> str:
    """What the model output fed to the loss must be: ``"logits"``, ``"probabilities"`` or
    ``"values"`` (regression). ``from_logits`` overrides the name's own convention for the
    cross-entropy losses, as in :class:`~trainwise.losses.config.LossConfig`.

    Example::

        >>> loss_input("bce"), loss_input("bce", from_logits=True), loss_input("cross_entropy")
        ('probabilities', 'logits', 'logits')
    """
    task, kind = LOSSES[canonical_loss_name(name)]
    if task == "regression" or from_logits is None:
        return kind
    return "logits" if from_logits else "probabilities"
