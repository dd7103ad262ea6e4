"""``overconfident_predictions``: validation loss rises while validation accuracy rises or
holds.

The model keeps getting as many examples right (or more) while growing ever more confident on
the ones it gets wrong, so the loss (which punishes confident mistakes without bound) climbs.
What tells it from plain ``overfitting`` is accuracy: when validation accuracy *falls*
clearly (by twice its own jitter and twice its binomial standard error, at least 1 point) the
model is getting answers wrong, not just overconfident, and only ``overfitting`` is reported;
when it *rises* clearly (by the stricter :data:`MIN_ERROR_REDUCTION` test too) only this code
is (stopping there would cost accuracy); when it holds, within noise, both are true and both
are reported: the gap widens and the confidence on the mistakes grows. Ishida et
al. (2020, "Do We Need Zero Training Loss After Achieving Zero Training Error?") call for
*flooding*: keep the training loss from going below a level b, ``|L - b| + b``; label
smoothing caps confidence the same way. Stopping on val_loss would stop too early here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.trend import jitter
from trainwise.doctor.curves.val_loss_rise import ValLossRise, find_val_loss_rise
from trainwise.doctor.finding import Finding, Fix

CODE = "overconfident_predictions"
#: An accuracy gain counts only if it is at least 1 point, twice the curve's epoch-to-epoch
#: jitter, twice the binomial standard error of one accuracy on ``n_val`` samples, and 10% of
#: the error rate at the best loss. The last two keep a drift of 2-3 points on a 400-sample
#: set (overfit_mnist1d_mlp_400: 0.285 -> 0.32) from counting as "still improving".
MIN_ACCURACY_GAIN = 0.01
MIN_ERROR_REDUCTION = 0.10


@dataclass(frozen=True)
class AccuracyGain:
    at_best: float  # mean validation accuracy over the best-loss epoch and its neighbours
    now: float  # mean over the last ``persistence`` epochs
    needed: float  # the gain that counts as a clear rise
    noise: float = 0.0  # the loss of accuracy that counts as a clear fall

    @property
    def gain(self) -> float:
        return self.now - self.at_best

    @property
    def significant(self) -> bool:
        """Accuracy clearly rose."""
        return self.gain >= self.needed

    @property
    def fell(self) -> bool:
        """Accuracy clearly fell."""
        return -self.gain >= max(self.noise, MIN_ACCURACY_GAIN)


def val_accuracy_gain(h: CurveHistory, facts: RunFacts, rise: ValLossRise) -> AccuracyGain | None:
    """How validation accuracy moved between the best validation loss and now (None when
    no validation accuracy is logged)."""
    since = max(rise.onset, rise.now - rise.epochs_above + 1)
    return accuracy_gain_between(h, facts, rise.best, since, rise.now)


def accuracy_gain_between(
    h: CurveHistory, facts: RunFacts, best: int, since: int, now: int
) -> AccuracyGain | None:
    """How validation accuracy moved from around position ``best`` (it and its neighbours) to
    positions ``since..now`` (None when fewer than 3 epochs log validation accuracy)."""
    acc = h.series("val_accuracy")
    logged = h.rows("val_accuracy")
    if logged.size < 3:
        return None
    near_best = acc[max(0, best - 1) : best + 2]
    recent = acc[since : now + 1]
    if np.isnan(near_best).all() or np.isnan(recent).all():
        return None
    at_best, now_acc = float(np.nanmean(near_best)), float(np.nanmean(recent))
    noise = max(MIN_ACCURACY_GAIN, 2.0 * jitter(acc[logged]))
    if facts.n_val:
        noise = max(noise, 2.0 * math.sqrt(max(now_acc * (1.0 - now_acc), 0.0) / facts.n_val))
    needed = max(noise, MIN_ERROR_REDUCTION * (1.0 - at_best))
    return AccuracyGain(at_best=at_best, now=now_acc, needed=needed, noise=noise)


def check_overconfident_predictions(h: CurveHistory, facts: RunFacts) -> Finding | None:
    """Report when the validation loss has risen persistently above its best (see
    :func:`~trainwise.doctor.curves.val_loss_rise.find_val_loss_rise`) while validation
    accuracy rose or held over the same epochs (did not fall clearly). Otherwise None; also
    None without validation accuracy.

    Example::

        >>> h = CurveHistory()
        >>> for e in range(12):
        ...     h.add(e, {"loss": 1.0 / (e + 1), "val_loss": 0.5 + 0.04 * abs(e - 3),
        ...               "val_accuracy": 0.6 + 0.02 * e})
        >>> check_overconfident_predictions(h, RunFacts(total_epochs=12)).epoch
        4
    """
    rise = find_val_loss_rise(h, facts)
    if rise is None:
        return None
    acc = val_accuracy_gain(h, facts, rise)
    if acc is None or acc.fell:
        return None
    flood = max(rise.train_loss_at_best, 1e-3)
    overrides: dict[str, float] = {"loss.flooding": float(f"{flood:.2g}")}
    smoothing = facts.regularization.get("label_smoothing", 0.0)
    task = facts.task_of(h)
    if task != "regression" and smoothing < 0.1:
        overrides["loss.label_smoothing"] = 0.1
    best_epoch = h.epochs[rise.best]
    message = (
        f"validation loss rose {rise.relative_rise:.0%} above its best {rise.best_val_loss:.3g} "
        f"(epoch {best_epoch + 1}) to {rise.val_loss:.3g} while validation accuracy "
        f"{'rose' if acc.significant else 'held'} ({acc.at_best:.3f} then {acc.now:.3f}): "
        "the model grows ever more confident on the examples it gets wrong."
    )
    fix = Fix(
        f"flood the training loss at about the level it had at the best epoch "
        f"(b = {flood:.2g}) or smooth the labels, and pick the checkpoint by validation "
        "accuracy rather than validation loss",
        overrides,
    )
    return Finding(
        CODE,
        "warning",
        message,
        fix,
        **h.when(rise.onset),
        evidence=rise.evidence(best_epoch)
        | {
            "val_accuracy_at_best": acc.at_best,
            "val_accuracy": acc.now,
            "accuracy_gain": acc.gain,
            "accuracy_gain_needed": acc.needed,
        },
    )
