"""Loss names: the canonical spellings, their Keras aliases, and what each one expects.

Seven canonical names cover the catalogue. Keras spellings (``mean_squared_error``,
``binary_crossentropy``, ``sparse_categorical_crossentropy``, the CamelCase class names ...)
are aliases, so a config copied from a Keras script works unchanged.
"""

from __future__ import annotations

from trainwise.errors import ConfigError
from trainwise.vocabulary import canonical

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

# Every other accepted spelling, as :func:`trainwise.vocabulary.normalise_name` reads it (case,
# "-", " " and CamelCase ignored; "_" ignored when nothing else matches).
_ALIASES: dict[str, str] = {
    "mean_squared_error": "mse",
    "mean_absolute_error": "mae",
    "l1": "mae",
    "huber_loss": "huber",
    "binary_crossentropy": "bce",
    "binary_cross_entropy": "bce",
    "binary_crossentropy_with_logits": "bce_with_logits",
    "binary_cross_entropy_with_logits": "bce_with_logits",
    "crossentropy": "cross_entropy",
    "ce": "cross_entropy",
    "sparse_categorical_crossentropy": "cross_entropy",
    "sparse_categorical_cross_entropy": "cross_entropy",
    "categorical_crossentropy": "categorical_cross_entropy",
}

_KERAS_NOTE = " (Keras spellings such as 'sparse_categorical_crossentropy' also work)"


def unknown_loss_message(name: object) -> str | None:
    """The reason ``name`` is not a loss name (without the field prefix), or None if it is one.

    Shared by the config validator (which lets the loader add ``loss.name``) and
    :func:`canonical_loss_name`.
    """
    try:
        _canonical(name, field=None)
    except ConfigError as exc:
        return str(exc)
    return None


def _canonical(name: object, field: str | None) -> str:
    return canonical(name, LOSSES, _ALIASES, field, kind="loss", note=_KERAS_NOTE)


def canonical_loss_name(name: str, field: str | None = "loss.name") -> str:
    """The canonical name for ``name`` or any of its aliases (case-insensitive).

    Raises ConfigError naming the closest match for an unknown name, prefixed with ``field``
    (default "loss.name"; None leaves the prefix out, for pydantic validators).

    Example::

        >>> canonical_loss_name("sparse_categorical_crossentropy")
        'cross_entropy'
        >>> canonical_loss_name("MeanSquaredError")
        'mse'
    """
    return _canonical(name, field)


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
