"""``underfitting``: the loss stays high and will not get low in the epochs that are left,
while a simple model already does better on the same data.

"High" is measured against the run itself: the loss of a model that learned nothing (ln C for
C classes, or the first epoch's loss) and the lowest loss reachable (the label-smoothing
entropy). A run is judged on the better of its training and validation curves (dropout
inflates the training loss), and only if extending its current pace (Theil-Sen slope) over
the remaining epochs would still leave it at least half way up to chance: a slow but healthy
run that will get there is left alone.

A high loss is not enough, though: where the classes overlap the loss cannot go low. On
make_circles (factor 0.8, noise 0.2) the best reachable accuracy is about 84% and a good MLP
ends at a cross-entropy near 0.40 of ln 2 = 0.69: 58% of the way to chance, a plateau at the
data's noise floor. So for classification the run's accuracy (best of train/validation over
its last 3 epochs) must also stay clearly below what a quick reference model reaches out of
fold on the training data (:mod:`~trainwise.doctor.curves.reference_accuracy`, the better of
20-NN and a logistic regression: 0.81 on those circles, 0.96 on digits, 0.58 on MNIST-1D),
and that reference must itself be clearly above chance (random labels leave it at chance:
then nothing more is reachable): "clearly" is twice the standard error of the difference of
the two accuracies, at least 2 points. Measured: the healthy circles MLP reaches 0.84
(reference 0.81) and stays silent; a 2-unit MLP on MNIST-1D reaches 0.24 (reference 0.58) and
a 1-unit one on digits 0.31 (reference 0.96), both reported. With that second witness the
projection over 3+ epochs is read from 10% of the planned run on (at least epoch 3), and
before that the *early pace test* (:func:`loss_stuck`) from the first epoch: the loss, capped
at chance (a loss above chance shows no learning, so its fall back to chance is no pace),
projected at its pace so far (after one epoch: its drop from chance; after two: their
difference), two epochs in a row (one *decisive* epoch where two would exceed 10% of the run,
see :data:`MAX_WAIT_SHARE`), accuracy below the reference, and not during a learning-rate
warm-up (:func:`lr_rising`). Measured on the seeded-fault suite: the tiny MLPs are reported
after the 1st of 10 epochs (MNIST-1D, validation loss 2.33-2.36 of 2.30, accuracy 0.12-0.13
against 0.58: decisive) and the 2nd of 20 (digits, 2.43 then 2.37, accuracy 0.21 against
0.96), while every healthy run's first epoch drops the loss by at least 9% of the way to the
floor (circles: 0.69 to 0.63), a pace that reaches the floor well before the end.
Without a reference (data given as a DataLoader) the older, more cautious reading applies:
accuracy below half way from chance to perfect, judged from a quarter of the run.
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
#: The condition must hold on this many consecutive epochs ...
PERSISTENCE = 2
#: ... except where waiting that long would take more than this share of the planned run
#: (runs under 20 epochs): then one epoch suffices if it is *decisive*: the loss made no
#: headway (projected at least DECISIVE_LOSS_SHARE of the way to chance) and the accuracy is
#: less than DECISIVE_ACCURACY_SHARE as far above chance as the reference model's. Measured:
#: the 2-unit MLP on MNIST-1D ends its first of 10 epochs at validation loss 2.33-2.36 of
#: 2.30 and accuracy 0.12-0.13 against 0.58 (reference): decisive; every healthy run of the
#: seeded-fault suite ends its first epoch well clear of either bar.
MAX_WAIT_SHARE = 0.10
DECISIVE_LOSS_SHARE = 0.9
DECISIVE_ACCURACY_SHARE = 0.5
#: ... and only an epoch of at least this many optimizer steps decides alone (the shortest
#: window in which ``loss_not_decreasing`` calls a loss flat): a 23-step epoch of a circles
#: MLP (held-out seed 3) ended at chance, loss 0.709, then fell to 0.34 by the end of the run.
DECISIVE_MIN_STEPS = 40
#: Judge from this share of the planned run on (AutoTrainer waits for 30%) ...
START_SHARE = 0.25
#: ... or from this share when a reference model's accuracy is known (a second witness).
START_SHARE_WITH_REFERENCE = 0.10
#: The accuracy must stay this far below the reference at least (besides twice the standard
#: error of the difference).
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


def start_epoch(facts: RunFacts, with_reference: bool | None = None) -> int:
    """The first epoch (0-based) at which the run is judged by the projection over at least
    3 epochs: 10% of the planned run with a reference accuracy, else 25% (at least epoch 2;
    epoch 4 when the length is unknown). ``with_reference`` overrides whether a reference
    counts as known. Before it, only the early pace test applies (see :func:`loss_stuck`)."""
    total = facts.total_epochs
    if not total:
        return 4
    if with_reference is None:
        with_reference = facts.reference_accuracy is not None
    share = START_SHARE_WITH_REFERENCE if with_reference else START_SHARE
    return max(2, math.ceil(share * total) - 1)


def lr_rising(h: CurveHistory, upto: int) -> bool:
    """True when a learning-rate warm-up is still under way at position ``upto`` (the run is
    not at its own pace yet): the logged ``lr`` is above every earlier one, or it rose within
    the epoch (``lr_end`` above ``lr_start``, which the Doctor logs from the optimizer), or, on
    the first epoch, the schedule started at under half its base LR (``lr_base``, torch's
    ``initial_lr``: a per-epoch warm-up or a one-cycle start). False when none of these is
    logged.

    Example::

        >>> h = CurveHistory()
        >>> h.add(0, {"loss": 2.3, "lr_start": 1e-4, "lr_end": 1e-3})
        >>> lr_rising(h, 0)
        True
    """

    def at(key: str) -> float:
        return float(h.series(key)[upto])  # NaN where that epoch did not log it

    if at("lr_end") > 1.001 * at("lr_start"):  # NaN compares False
        return True
    if upto == 0 and at("lr_start") < 0.5 * at("lr_base"):
        return True
    lr = h.series("lr")[: upto + 1]
    if lr.size < 2 or np.isnan(lr[-1]) or np.isnan(lr[:-1]).all():
        return False
    return bool(lr[-1] > 1.001 * np.nanmax(lr[:-1]))


def warm_up_ruled_out(h: CurveHistory, upto: int) -> bool:
    """True when position ``upto`` is known not to be in a warm-up: no learning rate is
    logged at all (nothing suggests one), or the Doctor's within-epoch LRs are logged and show
    none. A logged ``lr`` alone cannot rule one out on the first epoch (one value, no trend)."""
    if h.has("lr_start"):
        return not np.isnan(h.series("lr_start")[upto]) and not lr_rising(h, upto)
    return not h.has("lr") or (upto > 0 and not lr_rising(h, upto))


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


def loss_stuck(
    h: CurveHistory,
    facts: RunFacts,
    upto: int | None = None,
    curve: str = "best",
    with_reference: bool | None = None,
) -> dict | None:
    """The loss half of the verdict at epoch ``upto`` (default: the latest): the numbers if
    the projected loss is still at least :data:`HIGH_LOSS_SHARE` of the way from the floor to
    chance, else None. ``curve``: "best" (the lower of training and validation loss),
    "train" (the training loss and training accuracy alone: the symptom of a penalty or
    dropout too strong to fit the training data under it) or "val" (the validation loss
    alone, the eval-mode model a penalty holds back near chance, without the training
    batches' noise; accuracy is still the better of training and validation, so a network
    that fits its training data while validation lags is never read as held back); only
    ``over_regularized`` reads the last two.
    ``with_reference``: see :func:`start_epoch`.

    Before :func:`start_epoch`, and only with a reference accuracy and a known chance level,
    the early pace test applies: from the first epoch on, the loss (capped at chance) is
    projected at its pace so far (one epoch: its drop from chance; two: their difference),
    except while a logged learning rate is still rising (warm-up)."""
    n = len(h) if upto is None else upto + 1
    total = facts.total_epochs
    if n < 1:
        return None
    train = h.series("loss")[:n]
    if np.isnan(train).all():
        return None
    val = h.series("val_loss")[:n]
    # fmin ignores a missing side
    series = {"train": train, "val": val}.get(curve, np.fmin(train, val))
    logged = series[~np.isnan(series)]
    reference, kind = facts.reference_loss(h)
    floor = facts.loss_floor(h)
    if reference is None or reference <= floor or logged.size < 1:
        return None
    if h.epochs[n - 1] < start_epoch(facts, with_reference):
        if with_reference is None:
            with_reference = facts.reference_accuracy is not None
        early = with_reference and kind != "first epoch" and not lr_rising(h, n - 1)
        if not early:
            return None
    elif logged.size < 3:
        return None
    # a loss above the chance level carries no evidence of learning (a model predicting the
    # class prior has it; above it is miscalibration, e.g. dropout 0.95 or a fresh
    # batch-norm's statistics), so its fall back down to chance is no pace either
    logged = np.minimum(logged, reference)
    if logged.size == 1:
        # one epoch: its drop from chance is its pace (generous: the epoch's training loss
        # is a running mean, so the drop by its end is larger than that)
        pace = min(float(logged[0]) - reference, 0.0)
    else:  # the recent pace: Theil-Sen over the last epochs (2 points: their difference)
        pace = min(slope(logged[-max(3, facts.persistence()) :]), 0.0)
    done = h.epochs[n - 1] + 1
    remaining = max(total - done, 0) if total else done
    current = float(np.min(logged[-3:]))
    projected = max(current + pace * remaining, floor)
    share = (projected - floor) / (reference - floor)
    if share < HIGH_LOSS_SHARE:
        return None
    return {
        "n": n,
        "early": h.epochs[n - 1] < start_epoch(facts, with_reference),
        "loss": current,
        "projected": projected,
        "reference": reference,
        "kind": kind,
        "floor": floor,
        "share": share,
        "slope": pace,
        "remaining": remaining,
    }


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
        # a reference at chance (random labels: 0.109 on 10 classes) shows the inputs do not
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
