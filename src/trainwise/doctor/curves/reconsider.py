"""Findings the rest of the run has contradicted: withdrawn, or kept as information only.

Live rules must speak early (8% of the run for a flat loss, a few epochs for underfitting), so
now and then the run itself later proves a verdict wrong. A false alarm costs as much as a
miss, so after every epoch the doctor re-reads its findings against the curves so far:

- ``loss_not_decreasing`` is withdrawn once the training loss of an epoch is at most
  :data:`FELL` of the level the rule called flat: "flat" allowed 3% (the batch noise of a
  median), a fall ten times that is learning, not noise; or once the epoch losses have
  fallen steadily (:data:`STEADY_EPOCHS` or more falling epoch after epoch, Kendall
  p < :data:`STEADY_P`; the validation losses too, which must be logged, since a net
  memorizing random labels lowers its training loss steadily while its validation loss
  stays) to below
  :data:`FLAT` of it, no longer flat by the rule's own measure: a run whose loss falls steadily is never ``loss_not_decreasing`` (SGD at a small
  learning rate on a fresh MLP: 2.30 after 50 steps, then 0.013 lower every epoch). The live
  rule speaks at 8% of the run so that a loss that never moves is named early; waiting for
  the epochs would delay every true finding to catch this slow start.
- ``underfitting``, ``overfitting`` and ``overconfident_predictions`` are re-judged every
  epoch by :mod:`~trainwise.doctor.curves.rejudge` (warning, info, or set aside).
- ``underfitting`` is withdrawn once the run reaches its data's ceiling: an epoch's accuracy
  (the better of training and validation) within the margin of the quick reference model
  (the rule's own yardstick), or a training accuracy of at least :data:`NEAR_ONE` (a network
  that fits its training data is not too small).
- ``dead_relu`` becomes ``info`` when the run trains well regardless (the same ceiling test;
  without accuracy logs, a training loss at most :data:`TRAINS_WELL` of its start) and some
  of the layer's units are alive: a tiny net can lose a share of its units and still learn.
- A curve verdict, or a live ``loss_not_decreasing``, explained by a cause found only later
  (``precedence.RETROACTIVE_CAUSES``: labels unrelated to their inputs, a collapsed LR
  schedule, a strong penalty) is withdrawn: the cause is the report, and a flat loss judged
  at 8% of the run must not rank above the reason found an epoch later.
- A live symptom of the activations or gradients (``precedence.DEMOTED_BY_LATE_CAUSE``:
  dead, saturated units, vanishing gradients) reported before one of its causes fired
  becomes ``info``: the cause (too-large steps, say) is the report.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Set

import numpy as np
from scipy import stats

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.rejudge import rejudge
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.underfit import reference_margin
from trainwise.doctor.finding import CODES, Finding
from trainwise.doctor.precedence import demoted_by_late_cause, withdrawn_by_late_cause

#: an epoch's training loss at most this share of the level called flat contradicts "flat"
FELL = 0.7
#: ... and so does a steady fall: epoch losses falling epoch after epoch (one-sided Kendall
#: p below STEADY_P over the last STEADY_EPOCHS to twice that many epochs) to below FLAT of
#: that level (the live rule's own "flat": within 3% of its start)
STEADY_EPOCHS = 5
STEADY_P = 0.01
FLAT = 0.97
#: a training accuracy this high is a model that fits its data, whatever the reference says
NEAR_ONE = 0.95
#: without accuracy logs: a training loss at most this share of the first steps' loss
TRAINS_WELL = 0.3


def _last(h: CurveHistory, key: str) -> float | None:
    if not h.has(key):
        return None
    v = float(h.series(key)[-1])
    return v if math.isfinite(v) else None


def at_ceiling(h: CurveHistory, facts: RunFacts) -> bool:
    """True when the latest epoch reached its data's ceiling (see the module doc).

    >>> h = CurveHistory(); h.add(0, {"loss": 0.1, "accuracy": 0.97})
    >>> at_ceiling(h, RunFacts())
    True
    """
    train = _last(h, "accuracy")
    if train is not None and train >= NEAR_ONE:
        return True
    accs = [a for a in (train, _last(h, "val_accuracy")) if a is not None]
    if not accs or facts.reference_accuracy is None:
        return False
    best = max(accs)
    return best >= facts.reference_accuracy - reference_margin(facts, best)


def _trains_well(h: CurveHistory, facts: RunFacts, start_loss: float | None) -> bool:
    if h.has("accuracy") or h.has("val_accuracy"):
        return at_ceiling(h, facts)
    loss = _last(h, "loss")
    return loss is not None and start_loss is not None and loss <= TRAINS_WELL * start_loss


def reconsider(
    findings: list[Finding],
    h: CurveHistory,
    facts: RunFacts,
    fired: Set[str],
    start_loss: float | None = None,
) -> tuple[list[Finding], list[Finding]]:
    """``(kept, withdrawn)``: ``findings`` re-read against the curves so far (module doc);
    ``fired`` are the codes reported at warning level or above, ``start_loss`` the run's
    first losses (``LossTrack.start``). Kept findings may come back demoted to ``info``.

    Example::

        >>> from trainwise.doctor.finding import Fix
        >>> f = Finding("loss_not_decreasing", "warning", "flat", Fix("x"),
        ...             evidence={"recent_loss": 2.3})
        >>> h = CurveHistory(); h.add(0, {"loss": 2.2}); h.add(1, {"loss": 1.1})
        >>> kept, gone = reconsider([f], h, RunFacts(), {"loss_not_decreasing"})
        >>> len(kept), len(gone)
        (0, 1)
    """
    if len(h) == 0:
        return list(findings), []
    kept: list[Finding] = []
    withdrawn: list[Finding] = []
    for f in findings:
        if f.severity == "info":
            kept.append(f)
            continue
        late = CODES.get(f.code) == "epoch" or f.code == "loss_not_decreasing"
        cause = demoted_by_late_cause(f.code, fired)
        if late and withdrawn_by_late_cause(f.code, fired):
            withdrawn.append(f)
        elif cause is not None:
            kept.append(
                dataclasses.replace(
                    f,
                    severity="info",
                    message=f.message + f" It was found before its cause ({cause}), which is "
                    "the report; kept for information only.",
                )
            )
        elif f.code == "loss_not_decreasing" and _loss_fell(f, h):
            withdrawn.append(f)
        elif f.code == "underfitting" and at_ceiling(h, facts):
            withdrawn.append(f)
        elif f.code == "dead_relu" and _partly_alive(f) and _trains_well(h, facts, start_loss):
            kept.append(
                dataclasses.replace(
                    f,
                    severity="info",
                    message=f.message + " The run trained well regardless, so this is for "
                    "information only.",
                )
            )
        else:
            kept.append(f)
    return kept, withdrawn


def _loss_fell(f: Finding, h: CurveHistory) -> bool:
    level = f.evidence.get("recent_loss")
    loss = _last(h, "loss")
    if not isinstance(level, (int, float)) or loss is None or not level > 0:
        return False
    if loss <= FELL * float(level):
        return True
    # a steady fall: the training and validation losses go down epoch after epoch, the
    # training loss to below what the rule itself calls flat. Validation must show it: a net
    # memorizing random labels lowers its training loss steadily too (2.32 -> 2.20 in 10
    # epochs), and without validation logs the two cannot be told apart
    if loss > FLAT * float(level) or not h.has("val_loss"):
        return False
    return _falls_steadily(h, "loss") and _falls_steadily(h, "val_loss")


def _falls_steadily(h: CurveHistory, key: str) -> bool:
    epochs = h.series(key)
    epochs = epochs[np.isfinite(epochs)][-2 * STEADY_EPOCHS :]
    if epochs.size < STEADY_EPOCHS:
        return False
    trend = stats.kendalltau(np.arange(epochs.size), epochs, alternative="less")
    return bool(trend.pvalue < STEADY_P)


def _partly_alive(f: Finding) -> bool:
    share = f.evidence.get("dead_share")
    return isinstance(share, (int, float)) and not np.isnan(share) and share < 1.0


def revise(doctor, curves) -> None:
    """Apply :func:`reconsider` to a :class:`~trainwise.doctor.doctor.Doctor`'s findings after
    an epoch: withdrawn ones move to ``curves.withdrawn`` (for the record), and the codes that
    count as fired (for the precedence) are those of the findings kept at warning or above."""
    start = doctor.losses.start()
    if any(f.code == "dead_relu" and f.severity != "info" for f in doctor._findings):
        curves.ensure_reference()  # the ceiling test needs the yardstick (once per run)
    kept, gone = reconsider(doctor._findings, curves.history, curves.facts, doctor._codes, start)
    curves.withdrawn += gone
    kept, raised = rejudge(kept, curves, doctor._codes)
    doctor._findings = kept
    doctor._codes = {f.code for f in kept if f.severity != "info"}
    for f in raised:  # a verdict back at warning is news, like a new finding
        if doctor.echo is not None:
            doctor.echo(f)
