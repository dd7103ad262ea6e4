"""Activation registry: config name -> ``torch.nn`` module factory.

Names are matched as :func:`trainwise.vocabulary.canonical` reads every config name (case,
"-", " ", "_" and CamelCase ignored, so "Leaky-ReLU" and "LeakyReLU" work). The activations are torch's own modules with torch's defaults (``LeakyReLU`` slope 0.01,
exact ``GELU``); nothing is reimplemented.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from trainwise.vocabulary import canonical

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "selu": nn.SELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}

# Other common spellings ("LeakyReLU" and "leakyrelu" need none: "_" is ignored).
_ALIASES = {"lrelu": "leaky_relu", "logistic": "sigmoid"}


def activation_names() -> list[str]:
    """The canonical activation names, in the order error messages list them.

    >>> activation_names()[:2]
    ['relu', 'leaky_relu']
    """
    return list(ACTIVATIONS)


def canonical_activation(name: str, field: str | None = "model.activation") -> str:
    """Return the canonical name for ``name`` or raise :class:`ConfigError` listing the allowed
    names. ``field`` (default "model.activation") prefixes the message; None leaves it out (the
    config validator's location already names the field).

    >>> canonical_activation("Leaky-ReLU")
    'leaky_relu'
    """
    return canonical(name, ACTIVATIONS, _ALIASES, field, kind="activation")


def make_activation(name: str) -> nn.Module:
    """A fresh activation module for ``name`` (see :data:`ACTIVATIONS`).

    >>> make_activation("gelu")
    GELU(approximate='none')
    """
    return ACTIVATIONS[canonical_activation(name)]()
