"""``CurveRules``: the doctor's epoch-level rules, fed one epoch's logs at a time."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.labels_unrelated import check_labels_unrelated
from trainwise.doctor.curves.loss_stuck import loss_stuck
from trainwise.doctor.curves.over_regularized import check_over_regularized
from trainwise.doctor.curves.overconfident_predictions import check_overconfident_predictions
from trainwise.doctor.curves.overfitting import check_overfitting
from trainwise.doctor.curves.reconsider import revise
from trainwise.doctor.curves.reference_accuracy import ReferenceAccuracy
from trainwise.doctor.curves.rejudge import REJUDGED, shown, standing
from trainwise.doctor.curves.run_facts import RunFacts, check_regularization
from trainwise.doctor.curves.underfit import DECISIVE_LOSS_SHARE, one_epoch_may_decide
from trainwise.doctor.curves.underfitting import check_underfitting
from trainwise.doctor.finding import Finding
from trainwise.doctor.precedence import outranked, same_symptom
from trainwise.errors import CheckpointError

#: (code, rule) in the order they are tried each epoch. ``over_regularized`` comes before
#: ``underfitting``: the two read one stall (:func:`~trainwise.doctor.precedence.same_symptom`),
#: and with a strong penalty it is the penalty's, whose fix (lift it) a bigger model would fight
RULES = (
    ("labels_unrelated", check_labels_unrelated),  # first: it explains the stall and the rise
    ("overconfident_predictions", check_overconfident_predictions),
    ("overfitting", check_overfitting),
    ("over_regularized", check_over_regularized),
    ("underfitting", check_underfitting),
)
_CODES = tuple(code for code, _ in RULES)
CODE_LU = "labels_unrelated"


class CurveRules:
    """Watch the per-epoch curves for overfitting, overconfident predictions, underfitting and
    over-regularization; report each at most once, when it is clear.

    Args (all optional; each makes a rule sharper or possible):
        total_epochs: the planned number of epochs (None). Rules judge underfitting from a
            quarter of it on (with a reference accuracy: a pace test from the first epoch,
            10% on for the projection) and scale persistence to it (8%, 3 to 8 epochs; 3 if
            unknown).
        regularization: dict with any of ``weight_decay``, ``l1``, ``l2``, ``dropout``,
            ``label_smoothing`` (numbers) and ``optimizer`` (name, tells AdamW's decoupled
            decay from coupled decay) (None: no regularization known).
        num_classes: classes of a classification task (None: from a ``num_classes`` log
            entry, 2 for task "binary"); gives the chance-level loss ln C.
        task: "classification", "binary" or "regression" (None: classification when
            accuracy is logged, regression when mse/mae are).
        n_val: validation samples (None); sets the binomial noise of validation accuracy.
        chance_loss: the loss of a model that learned nothing, e.g. the target variance for
            MSE (None: ln C for classification, else the first epoch's loss).
        reference: a :class:`~trainwise.doctor.curves.reference_accuracy.ReferenceAccuracy`,
            or a function returning one (or None), called at most once and only when a run's
            loss already looks stuck (None: no reference; underfitting then falls back to the
            cautious accuracy-share reading).

    Logs are Keras-like: ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ``mse``,
    ``val_mse`` ..., ``lr``; other keys are ignored. Findings carry the onset epoch (0-based)
    and the ``step`` passed with that epoch.

    Example::

        >>> rules = CurveRules(total_epochs=12)
        >>> found = []
        >>> for e in range(12):
        ...     logs = {"loss": 1 / (e + 1), "val_loss": 0.5 + 0.04 * abs(e - 3)}
        ...     found += rules.update(e, logs, step=100 * (e + 1))
        >>> [(f.code, f.epoch, f.step) for f in found]
        [('overfitting', 4, 500)]
    """

    def __init__(
        self,
        total_epochs: int | None = None,
        regularization: dict | None = None,
        *,
        num_classes: int | None = None,
        task: str | None = None,
        n_val: int | None = None,
        chance_loss: float | None = None,
        reference: ReferenceAccuracy | Callable[[], ReferenceAccuracy | None] | None = None,
    ) -> None:
        self.facts = RunFacts(
            total_epochs=total_epochs,
            task=task,
            num_classes=num_classes,
            n_val=n_val,
            chance_loss=chance_loss,
            regularization=check_regularization(regularization),
        )
        self.history = CurveHistory()
        self.reported: list[str] = []  # codes already reported (or ruled out as duplicates)
        self.withdrawn: list[Finding] = []  # findings the curves later contradicted (revise)
        #: verdicts re-judged every epoch (``rejudge.REJUDGED``), as first reported, and the
        #: codes among them set aside for now (see :mod:`~trainwise.doctor.curves.rejudge`)
        self.verdicts: dict[str, Finding] = {}
        self.hidden: set[str] = set()
        self._reference = reference
        self._reference_tried = False
        if isinstance(reference, ReferenceAccuracy):
            self._use_reference(reference)

    def _use_reference(self, ref: ReferenceAccuracy | None) -> None:
        self._reference_tried = True
        if ref is not None:
            self.facts = dataclasses.replace(
                self.facts,
                reference_accuracy=float(ref.accuracy),
                reference_n=int(ref.n),
                reference_model=ref.model,
            )

    def _maybe_resolve_reference(self) -> None:
        """Compute the reference accuracy once, the first time the loss looks stuck on two
        epochs in a row (the rules' persistence; so a healthy run never pays for the quick
        model, not even one whose first epoch ends above chance), or, in a run short enough
        that one decisive epoch may decide (see ``underfit.MAX_WAIT_SHARE``), after a first
        epoch whose loss made no headway at all (a healthy run pays ~0.3 s then)."""
        if self._reference_tried or self._reference is None:
            return
        h = self.history
        last = len(h) - 1
        curves = ("best", "train", "val")

        def stuck(at: int, c: str) -> dict | None:
            return loss_stuck(h, self.facts, at, curve=c, with_reference=True)

        if last < 0:
            return
        if last == 0:
            may = one_epoch_may_decide(self.facts, h, 0)
            first = [stuck(0, c) for c in curves] if may else []
            if not any(r and r["share"] >= DECISIVE_LOSS_SHARE for r in first):
                return
        elif not any(all(stuck(at, c) for at in (last - 1, last)) for c in curves):
            return
        self._use_reference(self._reference())

    def update(self, epoch: int, logs: dict[str, Any], step: int | None = None) -> list[Finding]:
        """Record the logs of 0-based ``epoch`` and return the findings that are new now."""
        self.history.add(epoch, logs, step)
        if not all(c in self.reported for c in ("underfitting", "over_regularized", CODE_LU)):
            self._maybe_resolve_reference()
        new: list[Finding] = []
        for code, rule in RULES:
            if code in self.reported or outranked(code, set(self.reported)):
                continue
            finding = rule(self.history, self.facts)
            if finding is None:
                continue
            self.reported += [code, *same_symptom(code, _CODES)]
            if code in REJUDGED:  # shown as it stands now, judged again every epoch
                self.verdicts[code] = finding
                finding = shown(finding, *standing(finding, self.history, self.facts))
                if finding is None:
                    self.hidden.add(code)
                    self.withdrawn.append(self.verdicts[code])
                    continue
            new.append(finding)
        return new

    def ensure_reference(self) -> None:
        """Compute the reference accuracy now if it was not yet (once per run): a finding
        that the curves may later contradict (``dead_relu`` in a run that trains well) needs
        the yardstick even when the loss never looked stuck."""
        if not self._reference_tried and self._reference is not None:
            self._use_reference(self._reference())

    def revise(self, doctor) -> None:
        """Re-read a :class:`~trainwise.doctor.doctor.Doctor`'s findings against the curves
        so far (:func:`~trainwise.doctor.curves.reconsider.revise`)."""
        revise(doctor, self)

    def state_dict(self) -> dict[str, Any]:
        """JSON-able state (history and reported codes) so a resumed run continues the same."""
        state = {
            "version": 1,
            "history": self.history.state_dict(),
            "reported": list(self.reported),
            "verdicts": {c: f.to_dict() for c, f in self.verdicts.items()},
            "hidden": sorted(self.hidden),
        }
        if self.facts.reference_accuracy is not None:
            state["reference"] = {
                "accuracy": self.facts.reference_accuracy,
                "n": self.facts.reference_n,
                "model": self.facts.reference_model,
            }
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        version = state.get("version") if isinstance(state, dict) else None
        if version != 1:
            raise CheckpointError(
                f"curve rules state: version {version!r} is not supported; allowed: 1 (a dict "
                "from CurveRules.state_dict())"
            )
        self.history.load_state_dict(state.get("history", {}))
        self.reported = [str(c) for c in state.get("reported", [])]
        self.verdicts = {str(c): Finding.from_dict(d) for c, d in state.get("verdicts", {}).items()}
        self.hidden = {str(c) for c in state.get("hidden", [])}
        ref = state.get("reference")
        if isinstance(ref, dict) and "accuracy" in ref and "n" in ref:
            model = ref.get("model") or ReferenceAccuracy.model
            self._use_reference(ReferenceAccuracy(float(ref["accuracy"]), int(ref["n"]), model))
