"""The loss half of the underfitting verdict: is the loss projected to stay high?

The loss is measured against the run itself: the loss of a model that learned nothing (ln C
for C classes, or the first epoch's loss) and the lowest loss reachable (the label-smoothing
entropy). Its current pace (Theil-Sen slope over the last epochs) is extended over the epochs
left; the run counts as stuck when that projection stays at least :data:`HIGH_LOSS_SHARE` of
the way from the floor to chance. Before :func:`start_epoch` only the *early pace test*
applies (with a reference accuracy, see :func:`loss_stuck`).
"""

from __future__ import annotations

import math

import numpy as np

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.trend import slope
from trainwise.doctor.curves.warm_up import lr_rising

#: projected loss, as a share of the way from the floor to chance, at or above which the run
#: counts as stuck high: a run that will get below half way is learning, however slowly
HIGH_LOSS_SHARE = 0.5
#: judge by the projection from this share of the planned run on: a quarter gives a healthy
#: slow start time to show its pace (AutoTrainer waits for 30%)
START_SHARE = 0.25
#: ... or from this share when a reference model's accuracy is known: a second witness that
#: more is reachable allows an earlier verdict
START_SHARE_WITH_REFERENCE = 0.10


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
