"""``over_regularized``: the run underfits while its regularization is strong.

Underfitting is read as in ``underfitting`` (with its reference-model comparison), on the
loss alone (a penalty that shrinks the weights keeps the loss near chance even when the argmax
accuracy looks fair), or on the training loss alone: a penalty or dropout too strong for the
model keeps the training objective itself from being fitted: the training loss stays high
and the training accuracy stays below the reference model's (digits MLP with dropout 0.95:
training loss 1.8 of ln 10 = 2.3 and training accuracy 0.30 after half the run, against
0.95 out of fold for the reference model), while the validation metrics, computed without dropout, look
fair (0.90); or on the validation loss alone, with the accuracy still the better of training
and validation: a penalty holds the eval-mode model near chance on held-out data too (circles
MLP with L2 1.0: validation loss 0.696 then 0.695 of ln 2 = 0.693, accuracy 0.65 against 0.82
for the reference), while the training loss wanders below it with the batches' noise (0.68, 0.67,
0.65, 0.66), too unsteady for a projection in the first epochs. The accuracy side keeps a
network that fits its training data while its validation loss lags (overfitting) out of this
reading. Only read when some regularization is strong, so a noisy task's high training loss
alone never triggers it. MNIST-1D's MLP with AdamW weight decay 20 shows why the reference
takes the better of two quick models: it plateaus at accuracy 0.42-0.45 (loss 1.52-1.57 of
2.30) by its fifth epoch, where 20-NN reaches only 0.47-0.49 (within the margin) but a logistic
regression on the inputs and their spectrum 0.57-0.58.

It is underfitting with a named cause, so it replaces the ``underfitting`` finding (whose
fix, a bigger model, would fight the penalty instead of lifting it).
"""

from __future__ import annotations

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.underfitting import describe, find_underfit
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
    """Report underfitting (see :func:`~trainwise.doctor.curves.underfitting.find_underfit`)
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
    # loss stays near chance while the argmax accuracy can look fair (digits with l2=10: loss
    # 2.0 of 2.3, accuracy 0.76)
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
