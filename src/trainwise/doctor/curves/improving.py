"""Whether a run is still improving at its latest epoch: the evidence that turns an early
``underfitting`` verdict into advice to train longer.

An underfitting verdict is spoken after a few epochs, from the pace so far. A run that is
still getting better, steadily and by a useful amount, has not levelled off: it needs more
epochs, not a bigger model. "Improving" is read on what the task is about:

- classification (accuracy logged): validation or training accuracy over the last
  :data:`MIN_EPOCHS` epochs (or the rules' persistence, if longer) rises steadily
  (Kendall's tau, one-sided p below :data:`TREND_P`) *and* the validation accuracy (the
  training accuracy when no validation is logged) rises, over twice that window, at a pace
  (Theil-Sen) that, kept up for as many
  epochs as the run has done, would close at least :data:`MIN_GAP_SHARE` of the gap to the
  level the verdict said is reachable (a training accuracy creeping up 0.005 an epoch while
  validation stays at 0.22 is not a model getting better); each rise must also exceed
  twice its curve's epoch-to-epoch jitter (a linear model on two circles sits at chance and
  its accuracies wobble by 0.1: five lucky epochs in a row are no pace) (the reference model's accuracy less its margin;
  without a reference, half way from chance to perfect). A loss that keeps creeping down
  while the accuracy stays flat is not this: a network too small to learn the task still
  fits the class shares and its confidence, and its loss falls for many epochs (a 1-unit MLP
  on digits: loss 2.5 -> 1.9 over 20 epochs at accuracy 0.21-0.29);
- without accuracy: the loss (the lower of training and validation) falls steadily by the
  same test, its target the half-way level between the loss floor and chance.

Example::

    >>> from trainwise.doctor.curves.curve_history import CurveHistory
    >>> from trainwise.doctor.curves.run_facts import RunFacts
    >>> h = CurveHistory()
    >>> for e in range(8):
    ...     h.add(e, {"loss": 2.3 - 0.02 * e, "accuracy": 0.2 + 0.03 * e})
    >>> facts = RunFacts(num_classes=10, reference_accuracy=0.9, reference_n=1000)
    >>> imp = still_improving(h, facts)  # +0.03 an epoch, from 0.38 (median of the last 3)
    >>> imp.measure, imp.epochs, round(imp.target, 3)  # the reference 0.9 less its margin
    ('accuracy', 17, 0.864)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.loss_stuck import HIGH_LOSS_SHARE
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.trend import jitter, slope
from trainwise.doctor.curves.underfit import LOW_ACCURACY_SHARE, reference_margin

#: epochs the trend is read over (at least; the rules' persistence when that is longer): fewer
#: cannot show a trend at p < 0.05 (5 epochs rising in a row: p = 0.008)
MIN_EPOCHS = 5
#: one-sided Kendall p-value below which the rise (or fall, for a loss) counts as steady
TREND_P = 0.05
#: the accuracies read, in this order: validation accuracy first (the same samples every
#: epoch, in eval mode: the smoother curve, and the one whose pace counts), then training
#: accuracy (a running mean over batches in train mode); either rising steadily counts
ACCURACIES = ("val_accuracy", "accuracy")
#: an accuracy's rise over its window must exceed this many times its epoch-to-epoch jitter
NOISE_MULTIPLE = 2.0
#: the accuracy's pace is read over this many trend windows
PACE_WINDOWS = 2
#: the recent pace, kept up for as many epochs as were done, must close this share of the
#: gap to the reachable level: a crawl that would take ten runs is not "still improving"
MIN_GAP_SHARE = 0.10


@dataclass(frozen=True)
class Improvement:
    """How a run is still improving: on ``measure`` ("accuracy" or "loss"), now at ``now``,
    ``pace`` per epoch (positive: better), ``epochs`` more at that pace to reach ``target``."""

    measure: str
    now: float
    pace: float
    target: float
    epochs: int

    def describe(self) -> str:
        """The plain sentence, e.g. "accuracy 0.577 still rises by 0.0044 per epoch: 80 more
        epochs at this pace would bring it to 0.929"."""
        verb = "rises" if self.measure == "accuracy" else "falls"
        return (
            f"{self.measure} {self.now:.3g} still {verb} by {self.pace:.2g} per epoch: "
            f"{self.epochs} more epochs at this pace would bring it to {self.target:.3g}"
        )


def _target_accuracy(h: CurveHistory, facts: RunFacts, now: float) -> float | None:
    if facts.reference_accuracy is not None:
        return facts.reference_accuracy - (reference_margin(facts, now) or 0.0)
    classes = facts.classes_of(h)
    if classes is None:
        return None
    chance = 1.0 / classes
    return chance + LOW_ACCURACY_SHARE * (1.0 - chance)


def _recent(h: CurveHistory, key: str, window: int) -> np.ndarray | None:
    values = h.series(key)
    values = values[~np.isnan(values)][-window:]
    return values if values.size >= window else None


def _closes(
    h: CurveHistory, facts: RunFacts, key: str, acc: np.ndarray, done: int
) -> Improvement | None:
    """The improvement of accuracy curve ``key`` (its recent values ``acc``) if its pace
    (Theil-Sen) lifts it over the window by more than twice its epoch-to-epoch jitter (read
    over the last :data:`PACE_WINDOWS` windows) and,
    kept up for ``done`` epochs, closes :data:`MIN_GAP_SHARE` of the gap to the reachable
    level; else None."""
    now = float(np.median(acc[-3:]))
    target = _target_accuracy(h, facts, now)
    pace = slope(acc)
    full = h.series(key)
    recent = full[~np.isnan(full)][-PACE_WINDOWS * acc.size :]  # not the fast early epochs
    noise = NOISE_MULTIPLE * jitter(recent)
    if target is None or pace <= 0 or pace * (acc.size - 1) <= noise:
        return None  # a chance-level model's accuracy wobbles by 0.1: a lucky run is no pace
    if pace * done < MIN_GAP_SHARE * (target - now):
        return None
    return Improvement("accuracy", now, pace, target, max(0, math.ceil((target - now) / pace)))


def _steady(values: np.ndarray, direction: str) -> bool:
    test = stats.kendalltau(np.arange(values.size), values, alternative=direction)
    return bool(test.pvalue < TREND_P)


def still_improving(h: CurveHistory, facts: RunFacts) -> Improvement | None:
    """The run's improvement at its latest epoch if it is still improving (module doc), else
    None (also with too few epochs to tell)."""
    window = max(MIN_EPOCHS, facts.persistence())
    done = h.epochs[-1] + 1 if len(h) else 0
    if facts.task_of(h) != "regression" and (h.has("accuracy") or h.has("val_accuracy")):
        return _accuracy_improving(h, facts, window, done)
    loss = np.fmin(h.series("loss"), h.series("val_loss"))
    loss = loss[~np.isnan(loss)][-window:]
    reference, _ = facts.reference_loss(h)
    floor = facts.loss_floor(h)
    if loss.size < window or reference is None or reference <= floor:
        return None
    now = float(np.median(loss[-3:]))
    target = floor + HIGH_LOSS_SHARE * (reference - floor)
    pace = -slope(loss)
    if pace <= 0 or not _steady(loss, "less"):
        return None
    gap = now - target
    if gap > 0 and pace * done < MIN_GAP_SHARE * gap:
        return None
    return Improvement("loss", now, pace, target, max(0, math.ceil(gap / pace)))


def _accuracy_improving(
    h: CurveHistory, facts: RunFacts, window: int, done: int
) -> Improvement | None:
    # steady and useful over the window, on validation or training accuracy ...
    curves = {key: _recent(h, key, window) for key in ACCURACIES}
    if not any(
        a is not None and _steady(a, "greater") and _closes(h, facts, key, a, done)
        for key, a in curves.items()
    ):
        return None
    # ... and useful on validation accuracy (what the model generalizes) read over twice the
    # window, so that a few lucky epochs of a curve wobbling by a sample or two are no pace
    val = h.series("val_accuracy")
    val = val[~np.isnan(val)][-PACE_WINDOWS * window :]
    if val.size >= window:
        return _closes(h, facts, "val_accuracy", val, done)
    return _closes(h, facts, "accuracy", curves["accuracy"], done)
