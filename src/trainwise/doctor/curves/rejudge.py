"""Curve verdicts re-judged every epoch: warning while the evidence is unambiguous, ``info``
while it is not, set aside while the run contradicts it, and back when it holds again.

A curve rule speaks once, when its symptom first shows (a loss stuck after 2 epochs, a
validation loss a few percent above its best). The epochs after it tell how sure that was, so
the doctor keeps each such verdict (:data:`REJUDGED`) as first reported and, after every
epoch, shows the version the curves support now (:func:`standing`). The run's last epoch
decides what the report says. A false alarm costs as much as a miss:

``underfitting``
    - set aside while the verdict itself no longer holds on the last 2 epochs (the loss, at
      its current pace, now ends below half way to chance, or the accuracy reached the
      reference model's): an early reading of a slow start the run has outgrown;
    - ``info`` while the run is still improving
      (:func:`~trainwise.doctor.curves.improving.still_improving`: accuracy rising steadily
      at a pace that closes a useful share of the gap): advice to train longer, with the
      epochs it would take at this pace. (One epoch falling faster than the one before does
      not count here: epoch-to-epoch differences are noisy, and the verdict was already
      spoken; a slow start that really takes off is set aside by the first case);
    - a warning when the loss stays high and has levelled off far from what the reference
      model reaches. (The data's ceiling withdraws it for good:
      :mod:`~trainwise.doctor.curves.reconsider`.)

``overfitting`` and ``overconfident_predictions`` (the rise, read now: the median of the
last 3 validation losses against the best the finding named)
    - set aside while that median is back within :data:`~trainwise.doctor.curves.
      val_loss_rise.MIN_RELATIVE_RISE_TREND` of the best: the rise was a passing wiggle;
    - ``info`` while validation accuracy has not clearly fallen and the rise is small on the
      loss's own scale: under :data:`~trainwise.doctor.curves.val_loss_rise.MIN_RELATIVE_RISE`
      of the best (the strict rule's bar: the early, trend-based detection may speak at 5%),
      or worth fewer than
      :data:`MIN_SAMPLES` validation samples going from a sure answer to chance level
      (rise x validation size / chance loss: on 36 validation samples a mean rise of 0.03
      nats is one sample changing its mind, no trend of the model);
    - a warning otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Set

import numpy as np

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.improving import still_improving
from trainwise.doctor.curves.overconfident_predictions import accuracy_gain_between
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.underfit import underfit_at
from trainwise.doctor.curves.val_loss_rise import MIN_RELATIVE_RISE, MIN_RELATIVE_RISE_TREND
from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.precedence import outranked

#: the curve codes whose verdicts are re-judged every epoch
REJUDGED = ("underfitting", "overfitting", "overconfident_predictions")
#: a validation-loss rise worth fewer validation samples than this (each going from a sure
#: answer to chance level) rests on a sample or two: information, not a warning
MIN_SAMPLES = 3.0
#: how the run shows a verdict now: as reported, as information, or not at all
WARNING, INFO, HIDDEN = "warning", "info", "hidden"


def _underfitting(h: CurveHistory, facts: RunFacts) -> tuple[str, str]:
    n = len(h)
    if n >= 2 and all(underfit_at(h, facts, p) is None for p in (n - 2, n - 1)):
        return HIDDEN, "the loss no longer stays high at its current pace"
    imp = still_improving(h, facts)
    if imp is not None:
        return INFO, (
            f"The run is still improving: {imp.describe()}. Train longer (about {imp.epochs} "
            "more epochs at this pace); kept for information only while it keeps improving."
        )
    return WARNING, ""


def _rise(f: Finding, h: CurveHistory, facts: RunFacts) -> tuple[str, str]:
    best_val, best_epoch = f.evidence.get("best_val_loss"), f.evidence.get("best_epoch")
    pos = h.rows("val_loss")
    if not isinstance(best_val, (int, float)) or best_epoch not in h.epochs or pos.size < 3:
        return WARNING, ""
    val = h.series("val_loss")[pos]
    level = float(np.median(val[-3:]))
    rise = level - best_val
    if rise <= MIN_RELATIVE_RISE_TREND * best_val:
        return HIDDEN, f"the validation loss is back at its best ({level:.3g})"
    best = h.epochs.index(best_epoch)
    now = len(h) - 1
    acc = accuracy_gain_between(h, facts, best, max(best + 1, now - 2), now)
    if acc is not None and acc.fell:
        return WARNING, ""
    chance, _ = facts.reference_loss(h)
    samples = rise * facts.n_val / chance if facts.n_val and chance else None
    if rise < MIN_RELATIVE_RISE * best_val:
        why = f"{rise / best_val:.0%} above its best, under the {MIN_RELATIVE_RISE:.0%} a material rise needs"
    elif samples is not None and samples < MIN_SAMPLES:
        why = (
            f"{rise:.3g} above its best, as much as {samples:.1f} of the {facts.n_val} "
            f"validation samples going from a sure answer to chance level ({chance:.3g})"
        )
    else:
        return WARNING, ""
    held = (
        ""
        if acc is None
        else f" and validation accuracy held ({acc.at_best:.3f} then {acc.now:.3f})"
    )
    return INFO, (
        f"The rise is small now (the median of the last 3 epochs, {level:.3g}, is {why}){held}; "
        "kept for information only unless it grows."
    )


def standing(f: Finding, h: CurveHistory, facts: RunFacts) -> tuple[str, str]:
    """``(state, note)``: how verdict ``f`` (one of :data:`REJUDGED`, as first reported)
    stands on the curves so far (module doc): :data:`WARNING`, :data:`INFO` (``note`` says
    why, for the message) or :data:`HIDDEN` (``note`` says why).

    Example::

        >>> from trainwise.doctor.finding import Fix
        >>> f = Finding("overfitting", "warning", "rose.", Fix("x"),
        ...             evidence={"best_val_loss": 0.40, "best_epoch": 2})
        >>> h = CurveHistory()
        >>> for e, v in enumerate([0.6, 0.45, 0.40, 0.42, 0.43, 0.435]):
        ...     h.add(e, {"loss": 0.5 - 0.03 * e, "val_loss": v, "val_accuracy": 0.81})
        >>> standing(f, h, RunFacts(n_val=300))[0]  # +7.5%, accuracy held
        'info'
    """
    if f.code == "underfitting":
        return _underfitting(h, facts)
    if f.code in ("overfitting", "overconfident_predictions"):
        return _rise(f, h, facts)
    return WARNING, ""


def shown(f: Finding, state: str, note: str) -> Finding | None:
    """The version of verdict ``f`` to show in ``state``: itself, an ``info`` copy whose
    message ends with ``note``, or None (hidden)."""
    if state == HIDDEN:
        return None
    if state == INFO:
        fix = f.fix
        if f.code == "underfitting":  # still improving: more epochs first, not a bigger model
            fix = Fix(
                "train longer; if the accuracy then levels off far below the reference, use a "
                "bigger model or a higher learning rate",
                {k: v for k, v in f.fix.overrides.items() if k == "training.epochs"},
            )
        return dataclasses.replace(f, severity="info", message=f"{f.message} {note}", fix=fix)
    return f


def rejudge(
    findings: list[Finding], curves, fired: Set[str]
) -> tuple[list[Finding], list[Finding]]:
    """``(findings, raised)``: ``findings`` with each verdict of ``curves.verdicts`` (a
    :class:`~trainwise.doctor.curves.CurveRules`) shown as it stands now; ``raised`` are those
    that came back to a warning (from info or set aside), to echo. A verdict that is no longer
    among ``findings`` and was not set aside here (dropped for a cause, or withdrawn for good
    by :mod:`~trainwise.doctor.curves.reconsider`) is forgotten; one whose cause has fired
    (``fired``, precedence) is left as it is."""
    out = list(findings)
    raised: list[Finding] = []
    for code, verdict in list(curves.verdicts.items()):
        idx = next((i for i, f in enumerate(out) if f.key == verdict.key), None)
        parked = code in curves.hidden
        if idx is None and not parked:
            del curves.verdicts[code]
            continue
        if outranked(code, set(fired) - {code}):
            continue
        state, note = standing(verdict, curves.history, curves.facts)
        version = shown(verdict, state, note)
        before = None if idx is None else out.pop(idx)
        if version is None:
            if not parked:
                curves.hidden.add(code)
                curves.withdrawn.append(verdict)
            continue
        if parked:
            curves.hidden.discard(code)
            curves.withdrawn[:] = [w for w in curves.withdrawn if w is not verdict]
        out.append(version)
        if state == WARNING and (before is None or before.severity == "info"):
            raised.append(version)
    return out, raised
