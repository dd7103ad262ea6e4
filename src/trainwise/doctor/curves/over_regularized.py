"""``over_regularized``: the run underfits while its regularization is strong.

The stall is read as in ``underfitting`` (:func:`~trainwise.doctor.curves.underfit.find_underfit`,
with its reference-model comparison), and three more ways that only a penalty explains, each
still needing the accuracy below the reference:

- on the loss alone: a penalty that shrinks the weights keeps the loss near chance even when
  the argmax accuracy looks fair;
- on the training loss and training accuracy alone: a penalty or dropout too strong for the
  model keeps the training objective itself from being fitted, while the validation metrics,
  computed without dropout, look fair;
- on the validation loss alone, with the accuracy still the better of training and
  validation: the penalty holds the eval-mode model near chance on held-out data, where the
  training loss is too noisy for an early projection; the accuracy side keeps a network that
  fits its training data while its validation loss lags (overfitting) out of this reading.

Only read when some regularization is at or above its :data:`STRONG` level, so a noisy task's
high training loss alone never triggers it. It is underfitting with a named cause, so it
replaces the ``underfitting`` finding (whose fix, a bigger model, would fight the penalty
instead of lifting it; see :mod:`~trainwise.doctor.precedence`).
"""

from __future__ import annotations

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.underfit import describe, find_underfit
from trainwise.doctor.finding import Finding, Fix

CODE = "over_regularized"

#: Strengths counted as strong, each an order of magnitude or more above the usual values:
#: coupled weight decay (SGD/Adam; usually 1e-4..5e-4) and Keras-style L2 (l2 * sum(w^2),
#: i.e. weight decay 2 * l2); decoupled AdamW decay (usually 0.01..0.1); L1; dropout;
#: label smoothing (usually 0.1). Decay of unknown kind uses the middle value.
STRONG = {
    "weight_decay_coupled": 1e-2,
    "weight_decay_decoupled": 0.3,
    "weight_decay_unknown": 0.1,
    "l2": 5e-3,
    "l1": 1e-3,
    "dropout": 0.5,
    "label_smoothing": 0.3,
}
_DECOUPLED = ("adamw",)


def strong_regularization(facts: RunFacts) -> dict[str, float]:
    """The regularization settings at or above their strong level, by key.

    Example::

        >>> strong_regularization(RunFacts(regularization={"weight_decay": 0.05,
        ...                                                "optimizer": "adamw", "dropout": 0.9}))
        {'dropout': 0.9}
    """
    reg = facts.regularization
    out: dict[str, float] = {}
    wd = reg.get("weight_decay")
    if wd is not None:
        opt = reg.get("optimizer")
        kind = "unknown" if opt is None else ("decoupled" if opt in _DECOUPLED else "coupled")
        if wd >= STRONG[f"weight_decay_{kind}"]:
            out["weight_decay"] = wd
    for key in ("l2", "l1", "dropout", "label_smoothing"):
        v = reg.get(key)
        if v is not None and v >= STRONG[key]:
            out[key] = v
    return out


def _lowered(key: str, value: float) -> float:
    if key == "dropout":
        return 0.2
    if key == "label_smoothing":
        return 0.1
    return float(f"{value / 10:.2g}")


_PATHS = {
    "weight_decay": "optimizer.weight_decay",
    "l2": "regularization.l2",
    "l1": "regularization.l1",
    "dropout": "model.dropout",
    "label_smoothing": "loss.label_smoothing",
}


def check_over_regularized(h: CurveHistory, facts: RunFacts) -> Finding | None:
    """Report underfitting (see :func:`~trainwise.doctor.curves.underfit.find_underfit`)
    while some regularization is strong (:data:`STRONG`). Otherwise None.

    Example::

        >>> h = CurveHistory()
        >>> for e in range(8):
        ...     h.add(e, {"loss": 2.2, "accuracy": 0.15})
        >>> facts = RunFacts(total_epochs=20, num_classes=10, regularization={"dropout": 0.9})
        >>> check_over_regularized(h, facts).fix.overrides
        {'model.dropout': 0.2}
    """
    strong = strong_regularization(facts)
    if not strong:
        return None
    # the loss-only reading also counts here: a strong penalty shrinks the logits, so the
    # loss stays near chance while the argmax accuracy can look fair
    u = (
        find_underfit(h, facts)
        or find_underfit(h, facts, loss_only=True)
        or find_underfit(h, facts, curve="train")
        or find_underfit(h, facts, curve="val")
    )
    if u is None:
        return None
    message, evidence = describe(u, h, facts)
    names = ", ".join(f"{k} {v:g}" for k, v in strong.items())
    message = message[:-1] + f", with strong regularization ({names})."
    overrides = {_PATHS[k]: _lowered(k, v) for k, v in strong.items()}
    fix = Fix(
        f"lower the regularization ({names}) about tenfold, or remove it, then retune",
        overrides,
    )
    evidence |= {f"strong_{k}": v for k, v in strong.items()}
    return Finding(CODE, "warning", message, fix, **h.when(u.position), evidence=evidence)
