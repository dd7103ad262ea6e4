"""``loss_output_mismatch``: the model's outputs are not what its loss expects.

Looks at one batch of outputs (the preflight's forward pass, or the first live batch):

- cross-entropy (logits expected) fed probabilities: every row in [0, 1] summing to 1 (a
  softmax at the end of the model; the loss applies its own, gradients shrink, training
  stalls), or a single output column (cross-entropy over one class is always 0);
- a loss on probabilities (``FromProbabilities``, ``from_logits: false``) fed anything else;
- ``NLLLoss`` fed probabilities or raw scores instead of log-probabilities;
- a with-logits binary loss fed the output of a sigmoid (the loss's own sigmoid then caps
  every prediction between 0.5 and 0.73). When the outputs carry their autograd history the
  producing operation decides (``Sigmoid``/``Softmax``: fire; anything else: silent, since a
  small linear head can give raw scores inside [0, 1]); without it, at least 8 values all in
  [0, 1] and not all equal;
- binary cross-entropy on probabilities fed values outside [0, 1];
- outputs whose width does not match the targets' (regression, binary, one-hot).

Rows with non-finite values are ignored (``nan_loss`` and ``nan_in_data`` cover them).
Cost: a few reductions over one batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.preflight.arrays import as_array, finite_rows, fmt, rows
from trainwise.doctor.preflight.loss_kind import loss_kind
from trainwise.doctor.preflight.model_outputs import output_op

TOL = 1e-3
MIN_VALUES = 8
WHERE = "model output"


def _finding(message: str, fix: Fix, evidence: dict) -> Finding:
    return Finding(
        code="loss_output_mismatch",
        severity="error",
        where=WHERE,
        evidence=evidence,
        message=message,
        fix=fix,
    )


def _row_stats(o: np.ndarray) -> dict[str, float]:
    sums = o.sum(axis=1)
    lse = np.logaddexp.reduce(o, axis=1)
    return {
        "min": float(o.min()),
        "max": float(o.max()),
        "row_sum_min": float(sums.min()),
        "row_sum_max": float(sums.max()),
        "logsumexp_min": float(lse.min()),
        "logsumexp_max": float(lse.max()),
    }


def _is_probabilities(st: dict[str, float]) -> bool:
    return (
        st["min"] >= -1e-6
        and st["max"] <= 1 + 1e-6
        and abs(st["row_sum_min"] - 1) <= TOL
        and abs(st["row_sum_max"] - 1) <= TOL
    )


def _is_log_probabilities(st: dict[str, float]) -> bool:
    return st["max"] <= 1e-6 and abs(st["logsumexp_min"]) <= TOL and abs(st["logsumexp_max"]) <= TOL


def check_outputs(
    outputs: Any, loss_fn: Any, task: str, targets: Any = None, last_op: str | None = None
) -> list[Finding]:
    """Error findings when one batch of model ``outputs`` does not suit ``loss_fn``.

    Args:
        outputs: the model's outputs for one batch, (N, C) or (N,) (tensor or array).
        loss_fn: a torch loss module, a functional loss, a trainwise wrapper or a trainwise
            loss name; an unknown loss gives no finding.
        task: "classification" | "binary" | "regression" (context only; the loss decides).
        targets: the batch's targets, if at hand (enables the width checks).
        last_op: the autograd operation that produced ``outputs`` ("Sigmoid", "Addmm", ...;
            see :func:`~trainwise.doctor.preflight.model_outputs.output_op`); default None:
            read from ``outputs`` when it is a tensor with autograd history.

    Evidence: ``loss``, ``expects``, ``shape`` and the batch's ``min``/``max``, row sums and
    row logsumexp when they matter.

    Example::

        >>> import torch
        >>> out = torch.softmax(torch.randn(16, 4), dim=1)
        >>> [f.fix.overrides for f in check_outputs(out, torch.nn.CrossEntropyLoss(), "classification")]
        [{'loss.from_logits': False}]
    """
    kind = loss_kind(loss_fn)
    if kind is None or outputs is None:
        return []
    if last_op is None:
        last_op = output_op(outputs)
    o = as_array(outputs, "outputs")
    if o.ndim == 0 or o.size == 0:
        return []
    o = o.astype(np.float64)
    shape = list(o.shape)
    name = loss_fn if isinstance(loss_fn, str) else type(loss_fn).__name__
    if name == "function":
        name = getattr(loss_fn, "__name__", "function")
    base = {"loss": name, "expects": kind, "shape": shape, "task": task}
    t = None if targets is None else as_array(targets, "targets")
    found: list[Finding] = []
    if kind in ("logits", "probabilities", "log_probabilities"):
        found += _categorical(o, kind, base, t)
    elif kind in ("binary_logits", "binary_probabilities"):
        found += _binary(o, kind, base, t, last_op)
    elif t is not None and t.ndim >= 1 and len(t) == len(o):
        width, t_width = o[0].size, t[0].size
        if width != t_width:
            found.append(
                _finding(
                    f"The model gives {width} values per sample but each target has {t_width}, "
                    f"so the {name} compares mismatched shapes {shape} and {list(t.shape)}.",
                    Fix(f"make the model's output layer {t_width} wide, one unit per target value"),
                    {**base, "width": width, "target_width": t_width},
                )
            )
    return found


def _categorical(o: np.ndarray, kind: str, base: dict, t: np.ndarray | None) -> list[Finding]:
    if o.ndim != 2:
        return []
    o = o[finite_rows(o)]
    if len(o) == 0:
        return []
    width = o.shape[1]
    if width == 1 and kind == "logits":
        return [
            _finding(
                "The model has 1 output per sample, but cross-entropy over a single class is "
                "always 0, so nothing trains.",
                Fix(
                    "use binary cross-entropy on the single logit, or give the model one "
                    "output per class",
                    {"loss.name": "bce_with_logits"},
                ),
                {**base, "width": 1},
            )
        ]
    st = _row_stats(o)
    ev = {**base, **st}
    found = []
    if kind == "logits" and _is_probabilities(st):
        found.append(
            _finding(
                f"The outputs are already probabilities (every row in [0, 1] sums to 1; row "
                f"sums {st['row_sum_min']:.4f} to {st['row_sum_max']:.4f}) but cross-entropy "
                "applies its own softmax, so gradients shrink and training stalls.",
                Fix(
                    "remove the softmax at the end of the model (cross-entropy takes raw "
                    "logits), or declare that the loss gets probabilities",
                    {"loss.from_logits": False},
                ),
                ev,
            )
        )
    elif kind == "probabilities" and not _is_probabilities(st):
        found.append(
            _finding(
                f"The loss expects probabilities but the outputs range from {fmt(st['min'])} "
                f"to {fmt(st['max'])} with row sums {fmt(st['row_sum_min'])} to "
                f"{fmt(st['row_sum_max'])}, so the loss is computed on clipped nonsense.",
                Fix(
                    "let the loss take the raw outputs as logits (or add a softmax at the end "
                    "of the model)",
                    {"loss.from_logits": True},
                ),
                ev,
            )
        )
    elif kind == "log_probabilities" and not _is_log_probabilities(st):
        what = (
            "probabilities (rows sum to 1)"
            if _is_probabilities(st)
            else f"raw scores (row logsumexp {fmt(st['logsumexp_min'])} to "
            f"{fmt(st['logsumexp_max'])}, 0 for log-probabilities)"
        )
        found.append(
            _finding(
                f"NLLLoss expects log-probabilities but the outputs are {what}, so the loss "
                "does not measure the likelihood and can fall without bound.",
                Fix(
                    "apply log_softmax before NLLLoss, or use cross-entropy on raw logits",
                    {"loss.name": "cross_entropy"},
                ),
                ev,
            )
        )
    if t is not None and t.ndim == 2 and t.shape[1] > 1 and t.shape[1] != width:
        found.append(
            _finding(
                f"The model gives {width} class scores per sample but the one-hot targets have "
                f"{t.shape[1]} columns.",
                Fix("give the model one output per class, as many as the targets' columns"),
                {**base, "width": width, "target_width": int(t.shape[1])},
            )
        )
    return found


SQUASHING_OPS = ("Sigmoid", "Softmax", "Hardsigmoid")


def _binary(
    o: np.ndarray, kind: str, base: dict, t: np.ndarray | None, last_op: str | None
) -> list[Finding]:
    found = []
    if t is not None and t.ndim >= 1 and len(t) == len(o) and o[0].size != t[0].size:
        found.append(
            _finding(
                f"The model gives {o[0].size} values per sample but each binary target has "
                f"{t[0].size}, so the loss compares mismatched shapes {list(o.shape)} and "
                f"{list(t.shape)}.",
                Fix(
                    "give the model one output per binary target (1 for a yes/no task), or use "
                    "cross-entropy with integer labels for several exclusive classes",
                    {"loss.name": "cross_entropy"},
                ),
                {**base, "width": int(o[0].size), "target_width": int(t[0].size)},
            )
        )
    v = rows(o)
    v = v[finite_rows(v)]
    if v.size == 0:
        return found
    lo, hi = float(v.min()), float(v.max())
    ev = {**base, "min": lo, "max": hi, "produced_by": last_op}
    in_unit = v.size >= MIN_VALUES and lo >= 0 and hi <= 1 and hi > lo
    squashed = last_op in SQUASHING_OPS if last_op is not None else in_unit
    if kind == "binary_logits" and squashed and lo >= 0 and hi <= 1:
        found.append(
            _finding(
                (
                    f"The model's last operation is a {last_op.lower()} (outputs {fmt(lo)} to "
                    f"{fmt(hi)})"
                    if last_op is not None
                    else f"All {v.size} outputs lie in [0, 1] ({fmt(lo)} to {fmt(hi)}) as after "
                    "a sigmoid"
                )
                + ", but the with-logits loss applies its own sigmoid, so predictions "
                "stay between 0.5 and 0.73 and training stalls.",
                Fix(
                    "remove the sigmoid at the end of the model, or use binary cross-entropy "
                    "on probabilities",
                    {"loss.name": "bce"},
                ),
                ev,
            )
        )
    elif kind == "binary_probabilities" and (lo < 0 or hi > 1):
        found.append(
            _finding(
                f"The outputs range from {fmt(lo)} to {fmt(hi)} but binary cross-entropy on "
                "probabilities needs values in [0, 1], so it fails or learns nonsense.",
                Fix(
                    "use the with-logits loss on the raw outputs (more stable than adding a "
                    "sigmoid)",
                    {"loss.name": "bce_with_logits"},
                ),
                ev,
            )
        )
    return found
