"""What a loss expects as the model's output: logits, probabilities, log-probabilities, values.

Found from the torch loss module's type (``nn.CrossEntropyLoss``, ``nn.BCELoss`` ...), the
functional form (``F.cross_entropy``), trainwise's config names (``"bce"``), and through
trainwise's wrappers, which keep the wrapped loss in ``.loss`` (Flooding, TargetAdapter,
BinaryLabelSmoothing; FromProbabilities turns a logits loss into one on probabilities).
"""

from __future__ import annotations

import functools
from typing import Any

import torch.nn.functional as F
from torch import nn

from trainwise.losses.from_probabilities import FromProbabilities
from trainwise.losses.names import LOSSES, canonical_loss_name, unknown_loss_message

#: The kinds :func:`loss_kind` returns, with what each one wants from the model.
KINDS = {
    "logits": "unnormalized class scores (no softmax)",
    "probabilities": "class probabilities (softmax outputs)",
    "log_probabilities": "log-probabilities (log_softmax outputs)",
    "binary_logits": "unbounded scores (no sigmoid)",
    "binary_probabilities": "probabilities in [0, 1] (sigmoid outputs)",
    "values": "regression values",
}

_MODULES: list[tuple[type, str]] = [
    (nn.CrossEntropyLoss, "logits"),
    (nn.NLLLoss, "log_probabilities"),
    (nn.BCEWithLogitsLoss, "binary_logits"),
    (nn.BCELoss, "binary_probabilities"),
    (nn.MSELoss, "values"),
    (nn.L1Loss, "values"),
    (nn.HuberLoss, "values"),
    (nn.SmoothL1Loss, "values"),
]

_FUNCTIONS = {
    F.cross_entropy: "logits",
    F.nll_loss: "log_probabilities",
    F.binary_cross_entropy_with_logits: "binary_logits",
    F.binary_cross_entropy: "binary_probabilities",
    F.mse_loss: "values",
    F.l1_loss: "values",
    F.huber_loss: "values",
    F.smooth_l1_loss: "values",
}

_FROM_NAME = {
    ("classification", "logits"): "logits",
    ("classification", "probabilities"): "probabilities",
    ("binary", "logits"): "binary_logits",
    ("binary", "probabilities"): "binary_probabilities",
    ("regression", "values"): "values",
}


def loss_kind(loss_fn: Any) -> str | None:
    """The kind of output ``loss_fn`` expects (a key of :data:`KINDS`), or None if unknown.

    Example::

        >>> from trainwise.losses.flooding import Flooding
        >>> loss_kind(Flooding(nn.BCEWithLogitsLoss(), 0.1)), loss_kind("bce"), loss_kind(print)
        ('binary_logits', 'binary_probabilities', None)
    """
    if isinstance(loss_fn, str):
        if unknown_loss_message(loss_fn) is not None:
            return None
        return _FROM_NAME.get(LOSSES[canonical_loss_name(loss_fn)])
    probabilities = False
    for _ in range(10):  # wrappers nest a few deep at most; the bound guards against cycles
        if isinstance(loss_fn, functools.partial):
            loss_fn = loss_fn.func
            continue
        if isinstance(loss_fn, FromProbabilities):
            probabilities = True
        inner = getattr(loss_fn, "loss", None)
        if isinstance(loss_fn, nn.Module) and isinstance(inner, nn.Module):
            loss_fn = inner
            continue
        break
    kind = None
    for cls, k in _MODULES:
        if isinstance(loss_fn, cls):
            kind = k
            break
    if kind is None:
        try:
            kind = _FUNCTIONS.get(loss_fn)
        except TypeError:  # unhashable callable
            kind = None
    if probabilities and kind == "logits":
        return "probabilities"
    return kind
