"""``underfitting``: the loss stays high and will not get low in the epochs that are left.

"High" is measured against the run itself: the loss of a model that learned nothing (ln C for
C classes, or the first epoch's loss) and the lowest loss reachable (the label-smoothing
entropy). A run is judged from a quarter of its planned length on, on the better of its
training and validation curves (dropout inflates the training loss), and only if extending
its current pace (Theil-Sen slope) over the remaining epochs would still leave it high: a
slow but healthy run that will get there is left alone.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.trend import slope
from trainwise.doctor.finding import Finding, Fix

CODE = "underfitting"
#: Projected loss, as a share of the way from the floor to the chance level, at or above
#: which the run counts as stuck high when accuracy is also logged ...
HIGH_LOSS_SHARE = 0.5
#: ... and the (normalized) accuracy must stay below this: half way from chance to perfect.
LOW_ACCURACY_SHARE = 0.5
#: Without accuracy (regression, or loss-only logs) the loss alone decides, more strictly:
#: a noisy but healthy task (circles: ~84% is the best possible) ends near 0.55.
HIGH_LOSS_SHARE_LOSS_ONLY = 0.65
#: The condition must hold on this many consecutive epochs.
PERSISTENCE = 2
#: Judge from this share of the planned run on (AutoTrainer waits for 30%).
START_SHARE = 0.25


@dataclass(frozen=True)
class Underfit:
    """The numbers behind an underfitting verdict at one position of the history."""

    position: int
    loss: float  # best of train/val over the last 3 epochs
    projected: float  # at the end of the planned run, at the current pace
    reference: float  # chance-level loss
    reference_kind: str
    floor: float
    loss_share: float  # (projected - floor) / (reference - floor)
    accuracy: float | None  # best of train/val over the last 3 epochs
    accuracy_share: float | None  # (accuracy - 1/C) / (1 - 1/C)
    slope: float  # loss per epoch (negative: falling)
    remaining: int  # epochs left (assumed as many as done when the length is unknown)

    @property
    def still_falling(self) -> bool:
        """True when the remaining epochs would still cut a tenth of the chance-to-floor range."""
        return (self.loss - self.projected) >= 0.1 * (self.reference - self.floor)


def underfit_at(
    h: CurveHistory, facts: RunFacts, upto: int | None = None, loss_only: bool = False
) -> Underfit | None:
    """Underfitting numbers using epochs ``0..upto`` (default: all) if the run counts as
    underfitting there; else None. Needs ``loss`` logged. ``loss_only`` ignores accuracy and
    applies the stricter loss-only threshold (a run whose loss stays near chance while its
    argmax accuracy is fair: the signature of weights squeezed by a penalty)."""
    n = len(h) if upto is None else upto + 1
    total = facts.total_epochs
    start = max(2, math.ceil(START_SHARE * total) - 1) if total else 4
    if n < 1 or h.epochs[n - 1] < start:
        return None
    train = h.series("loss")[:n]
    if np.isnan(train).all():
        return None
    val = h.series("val_loss")[:n]
    best = np.fmin(train, val)  # fmin ignores a missing side
    logged = best[~np.isnan(best)]
    if logged.size < 3:
        return None
    reference, kind = facts.reference_loss(h)
    floor = facts.loss_floor(h)
    if reference is None or reference <= floor:
        return None
    window = logged[-max(3, facts.persistence()) :]
    pace = min(slope(window), 0.0)
    done = h.epochs[n - 1] + 1
    remaining = max(total - done, 0) if total else done
    current = float(np.min(logged[-3:]))
    projected = max(current + pace * remaining, floor)
    share = (projected - floor) / (reference - floor)
    acc = np.fmax(h.series("accuracy")[:n], h.series("val_accuracy")[:n])
    acc = acc[~np.isnan(acc)]
    classes = facts.classes_of(h)
    accuracy = acc_share = None
    if acc.size and classes is not None and facts.task_of(h) != "regression" and not loss_only:
        accuracy = float(np.max(acc[-3:]))
        chance = 1.0 / classes
        acc_share = (accuracy - chance) / (1.0 - chance)
        stuck = share >= HIGH_LOSS_SHARE and acc_share < LOW_ACCURACY_SHARE
    else:
        stuck = share >= HIGH_LOSS_SHARE_LOSS_ONLY
    if not stuck:
        return None
    return Underfit(
        position=n - 1,
        loss=current,
        projected=projected,
        reference=reference,
        reference_kind=kind,
        floor=floor,
        loss_share=share,
        accuracy=accuracy,
        accuracy_share=acc_share,
        slope=pace,
        remaining=remaining,
    )


def find_underfit(h: CurveHistory, facts: RunFacts, loss_only: bool = False) -> Underfit | None:
    """The verdict at the latest epoch if it held on at least ``PERSISTENCE`` epochs in a row
    up to now; the result's ``position`` is the first epoch of that streak (the onset)."""
    last = len(h) - 1
    now = underfit_at(h, facts, last, loss_only)
    if now is None:
        return None
    first = last
    while first > 0 and underfit_at(h, facts, first - 1, loss_only) is not None:
        first -= 1
    if last - first + 1 < PERSISTENCE:
        return None
    return dataclasses.replace(now, position=first)


def describe(u: Underfit, h: CurveHistory, facts: RunFacts) -> tuple[str, dict]:
    """The plain sentence and the evidence shared by underfitting and over_regularized."""
    done = h.epochs[-1] + 1
    of = f" of {facts.total_epochs}" if facts.total_epochs else ""
    acc = f" and accuracy {u.accuracy:.3f}" if u.accuracy is not None else ""
    ref = {"given": "the chance-level loss", "first epoch": "the first epoch's loss"}.get(
        u.reference_kind, f"chance level ({u.reference_kind})"
    )
    message = (
        f"after {done}{of} epochs the loss is {u.loss:.3g}{acc}, against {u.reference:.3g} for "
        f"{ref}; at the current pace it would still be {u.projected:.3g} at the end "
        f"({u.loss_share:.0%} of the way from the lowest reachable loss {u.floor:.3g} back "
        "to that level)."
    )
    evidence = {
        "loss": u.loss,
        "projected_loss": u.projected,
        "reference_loss": u.reference,
        "reference": u.reference_kind,
        "loss_floor": u.floor,
        "loss_share": u.loss_share,
        "loss_slope_per_epoch": u.slope,
        "epochs_done": done,
        "epochs_remaining": u.remaining,
    }
    if u.accuracy is not None:
        evidence |= {"accuracy": u.accuracy, "accuracy_share": u.accuracy_share}
    return message, evidence


def check_underfitting(h: CurveHistory, facts: RunFacts) -> Finding | None:
    """Report a loss that stays high (see the module doc), unless strong regularization
    explains it (that is ``over_regularized``). Otherwise None.

    Example::

        >>> h = CurveHistory()
        >>> for e in range(8):
        ...     h.add(e, {"loss": 2.2 - 0.01 * e, "accuracy": 0.15}, step=10 * (e + 1))
        >>> f = check_underfitting(h, RunFacts(total_epochs=20, num_classes=10))
        >>> f.epoch, f.step, round(f.evidence["reference_loss"], 3)
        (4, 50, 2.303)
    """
    from trainwise.doctor.curves.over_regularized import strong_regularization

    u = find_underfit(h, facts)
    if u is None or strong_regularization(facts):
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
