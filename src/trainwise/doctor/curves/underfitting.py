"""``underfitting``: the loss stays high and will not get low in the epochs that are left,
while a simple model already does better on the same data.

The verdict is :func:`~trainwise.doctor.curves.underfit.find_underfit`'s (the loss projected
to stay at least half way up to chance, the accuracy clearly below a quick reference model's,
on 2 epochs in a row or one decisive epoch); its thresholds and their reasons are in
:mod:`~trainwise.doctor.curves.underfit` and :mod:`~trainwise.doctor.curves.loss_stuck`. With
strong regularization the same stall is ``over_regularized``, which the curve rules try first
(see :mod:`~trainwise.doctor.precedence`). The fix depends on the pace: a loss still falling
needs more epochs or a higher learning rate, a loss that has flattened needs a bigger model.
"""

from __future__ import annotations

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.underfit import accelerating, describe, find_underfit
from trainwise.doctor.finding import Finding, Fix

CODE = "underfitting"


def check_underfitting(h: CurveHistory, facts: RunFacts) -> Finding | None:
    """Report a loss that stays high (see the module doc), else None. Under strong
    regularization :class:`~trainwise.doctor.curves.CurveRules` tries ``over_regularized``
    first, which then claims the same stall.

    Example::

        >>> h = CurveHistory()
        >>> for e in range(8):
        ...     h.add(e, {"loss": 2.2 - 0.01 * e, "accuracy": 0.15}, step=10 * (e + 1))
        >>> f = check_underfitting(h, RunFacts(total_epochs=20, num_classes=10))
        >>> f.epoch, f.step, round(f.evidence["reference_loss"], 3)
        (4, 50, 2.303)
    """
    # a loss falling faster every epoch has not flattened out (over_regularized keeps reading
    # it: a penalty's stall is judged on the level, see underfit.accelerating)
    u = None if accelerating(h, facts) else find_underfit(h, facts)
    if u is None:
        return None
    message, evidence = describe(u, h, facts)
    lr = h.max_value("lr")
    overrides: dict[str, float | int] = {}
    if u.still_falling:
        text = "train longer or raise the learning rate: the loss is still falling, too slowly"
        if facts.total_epochs:
            overrides["training.epochs"] = 2 * facts.total_epochs
    else:
        text = (
            "use a bigger model (more or wider layers); the loss has flattened out high, so "
            "more epochs alone will not help. A higher learning rate is the other usual cause"
        )
    if lr is not None and lr > 0:
        overrides["optimizer.lr"] = float(f"{3 * lr:.2g}")
    return Finding(
        CODE, "warning", message, Fix(text, overrides), **h.when(u.position), evidence=evidence
    )
