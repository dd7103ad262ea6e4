"""Weight initializers for the Linear and convolution layers of a model.

Every draw is done by ``torch.nn.init``; this module only maps the Keras-style names onto it:

================  =====================================================================
name              distribution of each weight (fan_in/fan_out as torch computes them)
================  =====================================================================
default           torch's own per-layer init (Kaiming-uniform with a=sqrt(5)); no change
truncated_normal  N(0, std^2) re-drawn beyond 2 std (the source's default std 0.1); the
                  resulting std is 0.8796 * std
normal            N(0, std^2)
uniform           U(-sqrt(3) std, sqrt(3) std), i.e. also standard deviation ``std``
zeros             0 (every unit then learns the same thing; useful to demonstrate that)
constant          ``value``
glorot_uniform    U(-a, a), a = sqrt(6 / (fan_in + fan_out))      (alias xavier_uniform)
glorot_normal     N(0, 2 / (fan_in + fan_out))                    (alias xavier_normal)
he_uniform        U(-a, a), a = sqrt(6 / fan_in)                  (alias kaiming_uniform)
he_normal         N(0, 2 / fan_in)                                (alias kaiming_normal)
lecun_uniform     U(-a, a), a = sqrt(3 / fan_in)
lecun_normal      N(0, 1 / fan_in)
================  =====================================================================

Keras draws he_normal/lecun_normal from a truncated normal rescaled to the same variance;
torch's plain normal has the same variance, which is what these schemes are about.
With any non-default init the biases are set to zero; BatchNorm keeps weight 1, bias 0.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from trainwise.errors import ConfigError
from trainwise.models.layers import CONV_TYPES
from trainwise.vocabulary import canonical

INITIALIZERS = (
    "default",
    "truncated_normal",
    "normal",
    "uniform",
    "zeros",
    "constant",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
)

_ALIASES = {
    "xavier_uniform": "glorot_uniform",
    "xavier_normal": "glorot_normal",
    "kaiming_uniform": "he_uniform",
    "kaiming_normal": "he_normal",
    "trunc_normal": "truncated_normal",
    "random_normal": "normal",
    "random_uniform": "uniform",
    "zero": "zeros",
}

# The layers whose weights an initializer touches: all Linear and (transposed) convolutions.
_WEIGHTED = (nn.Linear, *CONV_TYPES)


def init_names() -> list[str]:
    """The canonical initializer names (aliases: xavier_*, kaiming_*, trunc_normal, ...).

    >>> "he_normal" in init_names()
    True
    """
    return list(INITIALIZERS)


def canonical_init(name: str, field: str | None = "model.init") -> str:
    """Return the canonical initializer name for ``name`` (aliases resolved, case-insensitive)
    or raise :class:`ConfigError` listing the allowed names. ``field`` (default "model.init")
    prefixes the message; None leaves it out.

    >>> canonical_init("Kaiming_Normal")
    'he_normal'
    """
    return canonical(name, INITIALIZERS, _ALIASES, field, kind="initializer", list_aliases=True)


def init_weight_(weight: torch.Tensor, name: str, std: float = 0.1, value: float = 0.0) -> None:
    """Fill one weight tensor in place with initializer ``name`` (not "default").

    Defaults: ``std=0.1`` (truncated_normal, normal, uniform), ``value=0.0`` (constant).

    >>> w = torch.empty(64, 32)
    >>> init_weight_(w, "truncated_normal", std=0.1)
    >>> bool(w.abs().max() <= 0.2)
    True
    """
    key = canonical_init(name)
    if key == "truncated_normal":
        nn.init.trunc_normal_(weight, mean=0.0, std=std, a=-2.0 * std, b=2.0 * std)
    elif key == "normal":
        nn.init.normal_(weight, mean=0.0, std=std)
    elif key == "uniform":
        bound = math.sqrt(3.0) * std
        nn.init.uniform_(weight, -bound, bound)
    elif key == "zeros":
        nn.init.zeros_(weight)
    elif key == "constant":
        nn.init.constant_(weight, value)
    elif key == "glorot_uniform":
        nn.init.xavier_uniform_(weight)
    elif key == "glorot_normal":
        nn.init.xavier_normal_(weight)
    elif key == "he_uniform":
        nn.init.kaiming_uniform_(weight, mode="fan_in", nonlinearity="relu")
    elif key == "he_normal":
        nn.init.kaiming_normal_(weight, mode="fan_in", nonlinearity="relu")
    elif key == "lecun_uniform":
        # gain 1 ("linear"): bound sqrt(3 / fan_in), LeCun's uniform.
        nn.init.kaiming_uniform_(weight, mode="fan_in", nonlinearity="linear")
    elif key == "lecun_normal":
        nn.init.kaiming_normal_(weight, mode="fan_in", nonlinearity="linear")
    else:  # "default" has no formula: the layer's reset_parameters() already ran
        raise ConfigError("init_weight_ needs a concrete initializer, not 'default'")


def apply_init(model: nn.Module, name: str, std: float = 0.1, value: float = 0.0) -> nn.Module:
    """Initialize every Linear/Conv weight of ``model`` with ``name`` and zero their biases.

    Defaults: ``std=0.1`` (the source's truncated-normal std), ``value=0.0``. ``"default"``
    leaves torch's init untouched. Returns ``model`` for chaining. Uses the global torch RNG,
    so seed it first for reproducible weights.

    >>> m = apply_init(nn.Linear(100, 50), "he_normal")
    >>> m.bias.abs().sum().item()
    0.0
    """
    key = canonical_init(name)
    if not (isinstance(std, (int, float)) and math.isfinite(std) and std > 0):
        raise ConfigError(f"model.init_std: {std!r} is not allowed; it must be a number > 0")
    if not (isinstance(value, (int, float)) and math.isfinite(value)):
        raise ConfigError(f"model.init_value: {value!r} is not allowed; it must be a finite number")
    if key == "default":
        return model
    for module in model.modules():
        if not isinstance(module, _WEIGHTED):
            continue
        if isinstance(module.weight, nn.parameter.UninitializedParameter):
            continue  # lazy layer before its first forward: nothing to fill yet
        init_weight_(module.weight, key, std=std, value=value)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    return model
