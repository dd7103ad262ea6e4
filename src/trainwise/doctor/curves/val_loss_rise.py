"""A lasting rise of the validation loss above its best: what overfitting and
overconfident predictions have in common (the two rules differ in what accuracy does)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.trend import causal_median3, jitter

#: The validation loss must sit above its best by this fraction plus twice its own
#: epoch-to-epoch jitter on every one of the last ``RunFacts.persistence()`` epochs ...
MIN_RELATIVE_RISE = 0.10
JITTER_MULTIPLE = 2.0
#: ... or, when it has climbed steadily since the best (Kendall's tau, one-sided p below
#: TREND_P, over at least ``persistence`` epochs since the best), by this smaller fraction plus
#: one jitter on the last half of them (at least 2): the trend test is the persistence then,
#: so a slow, steady rise is reported without waiting out the whole window
MIN_RELATIVE_RISE_TREND = 0.05
#: strict, because a noisy plateau can look like a climb over a few epochs (the jitter term
#: keeps such plateaus out too)
TREND_P = 0.01
#: Validation loss must exceed training loss by this fraction of itself: a real train/val
#: gap, not two curves wiggling around each other.
MIN_GAP = 0.20


@dataclass(frozen=True)
class ValLossRise:
    """Where and how much. Indices are positions in the history (not epoch numbers)."""

    best: int  # position of the best validation loss
    onset: int  # first position after the best: where the rise started
    now: int  # latest position
    best_val_loss: float
    val_loss: float  # latest
    threshold: float  # what every recent epoch exceeded
    jitter: float
    epochs_above: int  # the persistence that was required and met (fewer on the trend path)
    train_loss_at_best: float
    train_loss: float  # latest

    @property
    def relative_rise(self) -> float:
        return self.val_loss / self.best_val_loss - 1.0

    @property
    def gap(self) -> float:
        """(val - train) / val at the latest epoch."""
        return (self.val_loss - self.train_loss) / self.val_loss

    def evidence(self, best_epoch: int) -> dict[str, float | int]:
        """The numbers the overfitting and overconfidence findings both rest on."""
        return {
            "best_epoch": best_epoch,
            "best_val_loss": self.best_val_loss,
            "val_loss": self.val_loss,
            "relative_rise": self.relative_rise,
            "rise_threshold": self.threshold,
            "val_loss_jitter": self.jitter,
            "epochs_above": self.epochs_above,
            "train_loss_at_best": self.train_loss_at_best,
            "train_loss": self.train_loss,
        }


def find_val_loss_rise(h: CurveHistory, facts: RunFacts) -> ValLossRise | None:
    """Return the rise if the validation loss has stayed clearly above its best for the last
    ``facts.persistence()`` epochs (a large rise, or a smaller one that climbed steadily) and
    sits well above the training loss; else None.

    "Best" is the minimum of a running 3-epoch median, so a single lucky epoch does not set
    an unreachable bar. Needs epochs that log both ``loss`` and ``val_loss``.

    Example::

        >>> h = CurveHistory()
        >>> for e, (t, v) in enumerate([(2, 2), (1, 1.5), (.6, 1.2), (.3, 1.3), (.1, 1.5),
        ...                             (.05, 1.7), (.02, 1.9), (.01, 2.1)]):
        ...     h.add(e, {"loss": t, "val_loss": v})
        >>> rise = find_val_loss_rise(h, RunFacts(total_epochs=8))
        >>> rise.best, rise.onset, round(rise.relative_rise, 2)
        (2, 3, 0.75)
    """
    pos = h.rows("loss", "val_loss")
    p = facts.persistence()
    if pos.size < p + 3:
        return None
    train = h.series("loss")[pos]
    val = h.series("val_loss")[pos]
    smooth = causal_median3(val)
    b_smooth = int(np.argmin(smooth))
    if b_smooth > val.size - p - 1:  # the best is among the recent epochs: no rise
        return None
    lo = max(0, b_smooth - 2)
    best = lo + int(np.argmin(val[lo : b_smooth + 1]))  # the raw best inside that window
    noise = jitter(val)
    above = p
    threshold = smooth[b_smooth] * (1.0 + MIN_RELATIVE_RISE) + JITTER_MULTIPLE * noise
    if not np.all(val[-p:] > threshold):
        threshold = smooth[b_smooth] * (1.0 + MIN_RELATIVE_RISE_TREND) + noise
        above = max(2, math.ceil(p / 2))
        if not np.all(val[-above:] > threshold):
            return None
        since = val[best:]
        trend = stats.kendalltau(np.arange(since.size), since, alternative="greater")
        if not trend.pvalue < TREND_P:
            return None
    if (val[-1] - train[-1]) < MIN_GAP * val[-1]:
        return None
    return ValLossRise(
        best=int(pos[best]),
        onset=int(pos[min(best + 1, pos.size - 1)]),
        now=int(pos[-1]),
        best_val_loss=float(val[best]),
        val_loss=float(val[-1]),
        threshold=float(threshold),
        jitter=noise,
        epochs_above=above,
        train_loss_at_best=float(train[best]),
        train_loss=float(train[-1]),
    )
