"""The underfitting verdict that ``underfitting`` and ``over_regularized`` share: the loss
stays high (:mod:`~trainwise.doctor.curves.loss_stuck`) *and* the accuracy stays clearly below
what a quick reference model reaches on the same data, on enough epochs in a row.

For classification with a reference accuracy
(:mod:`~trainwise.doctor.curves.reference_accuracy`) the run's accuracy (best of training and
validation over its last 3 epochs) must stay below the reference by
:func:`reference_margin`, and the reference itself must be clearly above chance (random
labels leave it at chance: then nothing more is reachable). Without a reference the accuracy
must stay below :data:`LOW_ACCURACY_SHARE` of the way from chance to perfect; without any
accuracy the loss alone decides, against the stricter :data:`HIGH_LOSS_SHARE_LOSS_ONLY`. The
verdict must hold on :data:`PERSISTENCE` epochs in a row, or on one *decisive* epoch
(:func:`decisive`) where waiting would take more than :data:`MAX_WAIT_SHARE` of the run.

``underfitting`` gives no verdict while the training loss is *speeding up* (:func:`accelerating`): its latest
epoch-over-epoch fall is larger than the one before (for the first epoch, the fall from the
chance level to the epoch's mean, doubled, since that mean sits half an epoch in). A curve
that falls faster every epoch has not flattened out, whatever its level: plain SGD on a
fresh network often leaves its initial plateau only after a few epochs; projecting the slow
start over the rest of the run called such runs underfitting.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.loss_stuck import loss_stuck
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.warm_up import warm_up_ruled_out

#: with accuracy logged (and no reference), it must stay below this share of the way from
#: chance to perfect: a model half way there has learned the task's bulk
LOW_ACCURACY_SHARE = 0.5
#: without accuracy (regression, or loss-only logs) the loss alone decides, more strictly: a
#: noisy but healthy task can end above half way to chance (its noise floor)
HIGH_LOSS_SHARE_LOSS_ONLY = 0.65
#: the verdict must hold on this many consecutive epochs: one bad epoch is not a trend
PERSISTENCE = 2
#: ... except where waiting that long would take more than this share of the planned run
#: (runs under 20 epochs): then one *decisive* epoch suffices, so short runs are not judged late
MAX_WAIT_SHARE = 0.10
#: decisive: the loss made no headway (projected at least this share of the way to chance) ...
DECISIVE_LOSS_SHARE = 0.9
#: ... and the accuracy is less than this share as far above chance as the reference's
DECISIVE_ACCURACY_SHARE = 0.5
#: ... on an epoch of at least this many optimizer steps (the shortest window in which
#: ``loss_not_decreasing`` calls a loss flat): a shorter epoch is too early to call
DECISIVE_MIN_STEPS = 40
#: the accuracy must stay this far below the reference at least (besides twice the standard
#: error of the difference): a point or two is within what the two models' choice can cost
MIN_REFERENCE_MARGIN = 0.02


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
    reference_accuracy: float | None  # the quick reference model's out-of-fold accuracy
    reference_margin: float | None  # how far below it the accuracy had to stay
    slope: float  # loss per epoch (negative: falling)
    remaining: int  # epochs left (assumed as many as done when the length is unknown)

    @property
    def still_falling(self) -> bool:
        """True when the remaining epochs would still cut a tenth of the chance-to-floor range."""
        return (self.loss - self.projected) >= 0.1 * (self.reference - self.floor)


def share_above_chance(accuracy: float, classes: int) -> float:
    """How far ``accuracy`` is from chance (1/``classes``) towards perfect: 0 at chance, 1 at
    1.0. Example: ``share_above_chance(0.55, 10)`` is 0.5."""
    chance = 1.0 / classes
    return (accuracy - chance) / (1.0 - chance)


def reference_margin(facts: RunFacts, accuracy: float) -> float | None:
    """How far below the reference accuracy ``accuracy`` must be to count (None without a
    reference): twice the standard error of the difference of the two (binomial, on
    ``reference_n`` and ``n_val`` samples; ``reference_n`` for both when ``n_val`` is
    unknown), at least :data:`MIN_REFERENCE_MARGIN`."""
    r = facts.reference_accuracy
    if r is None:
        return None
    n_ref = facts.reference_n or 1000
    n_acc = facts.n_val or n_ref
    se = math.sqrt(max(r * (1 - r), 0.0) / n_ref + max(accuracy * (1 - accuracy), 0.0) / n_acc)
    return max(MIN_REFERENCE_MARGIN, 2.0 * se)


def underfit_at(
    h: CurveHistory,
    facts: RunFacts,
    upto: int | None = None,
    loss_only: bool = False,
    curve: str = "best",
) -> Underfit | None:
    """Underfitting numbers using epochs ``0..upto`` (default: all) if the run counts as
    underfitting there; else None. Needs ``loss`` logged. ``loss_only`` ignores accuracy for
    the verdict and applies the stricter loss-only threshold (a run whose loss stays near
    chance while its argmax accuracy is fair: the signature of weights squeezed by a
    penalty); with a reference accuracy the accuracy must still be below it (a noise floor is
    never underfitting). ``curve``: see :func:`loss_stuck`."""
    ls = loss_stuck(h, facts, upto, curve)
    if ls is None:
        return None
    n = ls["n"]
    if curve == "train":  # what the model reaches on its training data under its penalty
        acc = h.series("accuracy")[:n]
    else:  # "val" too: a network that fits its training data is not held back
        acc = np.fmax(h.series("accuracy")[:n], h.series("val_accuracy")[:n])
    acc = acc[~np.isnan(acc)]
    classes = facts.classes_of(h)
    classification = facts.task_of(h) != "regression"
    accuracy = acc_share = margin = None
    if acc.size and classification:
        accuracy = float(np.max(acc[-3:]))
        if classes is not None:
            acc_share = share_above_chance(accuracy, classes)
        margin = reference_margin(facts, accuracy)
    below_reference = margin is None or accuracy < facts.reference_accuracy - margin
    if margin is not None and classes is not None:
        # a reference at chance (random labels) shows the inputs do not
        # predict the labels; a network below it is noise, not a model too small
        below_reference = below_reference and facts.reference_accuracy - margin > 1.0 / classes
    if ls["early"] and (margin is None or not below_reference):
        # before the usual start only the reference model can vouch that more is reachable
        return None
    if accuracy is not None and not loss_only and (margin is not None or acc_share is not None):
        if margin is not None:
            stuck = below_reference
        else:
            stuck = acc_share < LOW_ACCURACY_SHARE
    else:
        stuck = ls["share"] >= HIGH_LOSS_SHARE_LOSS_ONLY and below_reference
    if not stuck:
        return None
    return Underfit(
        position=n - 1,
        loss=ls["loss"],
        projected=ls["projected"],
        reference=ls["reference"],
        reference_kind=ls["kind"],
        floor=ls["floor"],
        loss_share=ls["share"],
        accuracy=accuracy,
        accuracy_share=acc_share,
        reference_accuracy=facts.reference_accuracy if margin is not None else None,
        reference_margin=margin,
        slope=ls["slope"],
        remaining=ls["remaining"],
    )


def one_epoch_may_decide(facts: RunFacts, h: CurveHistory, pos: int) -> bool:
    """True when waiting :data:`PERSISTENCE` epochs would take more than
    :data:`MAX_WAIT_SHARE` of the planned run and the epoch at position ``pos`` is at least
    :data:`DECISIVE_MIN_STEPS` long (or its length is not logged), so a decisive single epoch
    may decide."""
    if not facts.total_epochs or PERSISTENCE <= MAX_WAIT_SHARE * facts.total_epochs:
        return False
    end, start = h.steps[pos], (h.steps[pos - 1] if pos > 0 else 0)
    return end is None or start is None or end - start >= DECISIVE_MIN_STEPS


def decisive(u: Underfit, facts: RunFacts) -> bool:
    """True when one epoch's verdict is strong enough on its own (see :data:`MAX_WAIT_SHARE`):
    the projected loss at least :data:`DECISIVE_LOSS_SHARE` of the way to chance and the
    accuracy less than :data:`DECISIVE_ACCURACY_SHARE` as far above chance as the reference's.

    Example::

        >>> facts = RunFacts(total_epochs=10, num_classes=10, reference_accuracy=0.58)
        >>> u = Underfit(0, 2.3, 2.3, 2.3, "given", 0.0, 1.0, 0.12, 0.02, 0.58, 0.04, 0.0, 9)
        >>> decisive(u, facts), decisive(dataclasses.replace(u, accuracy_share=0.3), facts)
        (True, False)
    """
    if u.accuracy_share is None or u.reference_accuracy is None or facts.num_classes is None:
        return False
    reference_share = share_above_chance(u.reference_accuracy, facts.num_classes)
    return (
        u.loss_share >= DECISIVE_LOSS_SHARE
        and u.accuracy_share < DECISIVE_ACCURACY_SHARE * reference_share
    )


def accelerating(h: CurveHistory, facts: RunFacts) -> bool:
    """True when the training loss fell more over the latest epoch than over the one before
    (see the module doc; the chance level stands in for "before the first epoch").

    >>> h = CurveHistory(); h.add(0, {"loss": 2.06}); h.add(1, {"loss": 2.02})
    >>> accelerating(h, RunFacts(num_classes=8)), accelerating(h, RunFacts(num_classes=10))
    (True, False)
    """
    if not h.has("loss"):
        return False
    loss = [float(v) for v in h.series("loss") if math.isfinite(v)]
    if len(loss) < 2:
        return False
    last_fall = loss[-2] - loss[-1]
    if len(loss) >= 3:
        before = loss[-3] - loss[-2]
    else:
        chance, kind = facts.reference_loss(h)
        if chance is None or kind == "first epoch" or loss[0] > chance:
            return False
        before = 2 * (chance - loss[0])  # the first epoch's mean is half an epoch in
    return last_fall > 0 and last_fall > before


def find_underfit(
    h: CurveHistory, facts: RunFacts, loss_only: bool = False, curve: str = "best"
) -> Underfit | None:
    """The verdict at the latest epoch if it held on at least ``PERSISTENCE`` epochs in a row
    up to now, or on one decisive epoch in a short run (see :data:`MAX_WAIT_SHARE`); the
    result's ``position`` is the first epoch of that streak (the onset)."""
    last = len(h) - 1
    now = underfit_at(h, facts, last, loss_only, curve)
    if now is None:
        return None
    first = last
    while first > 0 and underfit_at(h, facts, first - 1, loss_only, curve) is not None:
        first -= 1
    if last - first + 1 < PERSISTENCE and not (
        one_epoch_may_decide(facts, h, last) and decisive(now, facts) and warm_up_ruled_out(h, last)
    ):
        return None
    return dataclasses.replace(now, position=first)


def describe(u: Underfit, h: CurveHistory, facts: RunFacts) -> tuple[str, dict]:
    """The plain sentence and the evidence shared by underfitting and over_regularized."""
    done = h.epochs[-1] + 1
    of = f" of {facts.total_epochs}" if facts.total_epochs else ""
    acc = f" and accuracy {u.accuracy:.3f}" if u.accuracy is not None else ""
    if u.reference_accuracy is not None:
        model = facts.reference_model or "a quick reference model"
        acc += (
            f" ({model} reaches {u.reference_accuracy:.3f} out of fold on the same training data)"
        )
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
    if u.reference_accuracy is not None:
        evidence |= {
            "reference_accuracy": u.reference_accuracy,
            "reference_margin": u.reference_margin,
            "reference_rows": facts.reference_n,
            "reference_model": facts.reference_model,
        }
    return message, evidence
