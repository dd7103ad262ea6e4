"""What the doctor reports: one :class:`Finding` per problem, with the numbers behind it.

Every rule (preflight, live, curve) returns these, so ranking, printing, JSON and the report
treat all of them alike.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from trainwise.vocabulary import format_value

Severity = Literal["info", "warning", "error"]
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}

#: Every finding code, with the stage that produces it (SPEC "Finding codes").
CODES: dict[str, str] = {
    "nan_in_data": "preflight",
    "label_out_of_range": "preflight",
    "unnormalized_inputs": "preflight",
    "unshuffled_data": "preflight+live",
    "class_imbalance": "preflight+live",
    "class_weights_inverted": "live",
    "label_noise": "preflight",
    "split_leakage": "preflight",
    "distribution_shift": "preflight",
    "labels_collapsed": "preflight+live",
    "output_cannot_express_labels": "preflight",
    "validation_class_shift": "preflight",
    "labels_unrelated": "epoch",
    "loss_output_mismatch": "preflight+live",
    "nan_loss": "live",
    "exploding_gradients": "live",
    "vanishing_gradients": "live",
    "dead_relu": "live",
    "saturated_activations": "live",
    "lr_too_high": "live",
    "lr_too_low": "live",
    "params_not_updating": "live",
    "optimizer_not_stepping": "live",
    "zero_grad_missing": "live",
    "frozen_parameters": "live",
    "lr_schedule_collapsed": "live",
    "lr_schedule_unbounded": "live",
    "lr_warmup_never_ends": "live",
    "unnormalized_targets": "live",
    "eval_mode_during_training": "live",
    "batch_too_small_for_batchnorm": "live",
    "sequence_dims_swapped": "live",
    "same_batch_repeated": "live",
    "weights_reset_during_training": "live",
    "training_inputs_drift": "live",
    "loss_not_decreasing": "live",
    "loss_sign_flipped": "live",
    "label_ignored_by_loss": "live",
    "overfitting": "epoch",
    "overconfident_predictions": "epoch",
    "underfitting": "epoch",
    "over_regularized": "epoch",
    "test_shift": "after",
}


@dataclass(frozen=True)
class Fix:
    """What to change: a sentence, and the same as config overrides (``--set`` paths).

    Example::

        Fix("lower the learning rate 10x", {"optimizer.lr": 3e-4})
    """

    text: str
    overrides: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.overrides:
            return self.text
        sets = " ".join(f"--set {k}={format_value(v)}" for k, v in self.overrides.items())
        return f"{self.text} ({sets})"


@dataclass(frozen=True)
class Finding:
    """One diagnosed problem.

    Fields (SPEC): ``code`` (a key of :data:`CODES`), ``severity`` ("info" | "warning" |
    "error"), ``step`` and ``epoch`` of onset (None when it is not tied to training time, e.g.
    preflight), ``where`` (layer name or data field, if any), ``evidence`` (the numbers it rests
    on), ``message`` (one plain sentence), ``fix`` (:class:`Fix`).

    Example::

        Finding("lr_too_high", "warning", step=40, epoch=0, where=None,
                evidence={"update_ratio": 0.3}, message="learning rate 5.0 is too high: ...",
                fix=Fix("try 5e-2", {"optimizer.lr": 0.05}))
    """

    code: str
    severity: Severity
    message: str
    fix: Fix
    step: int | None = None
    epoch: int | None = None
    where: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}; allowed: {', '.join(CODES)}")
        if self.severity not in SEVERITY_RANK:
            raise ValueError(
                f"severity {self.severity!r} is not allowed; allowed: error, warning, info"
            )

    @property
    def key(self) -> tuple[str, str | None]:
        """Two findings with the same key are the same problem (kept once, earliest onset)."""
        return (self.code, self.where)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = {k: _jsonable(v) for k, v in self.evidence.items()}
        d["fix"] = {"text": self.fix.text, "overrides": dict(self.fix.overrides)}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        fix = d.get("fix") or {}
        return cls(**{**d, "fix": Fix(fix.get("text", ""), dict(fix.get("overrides", {})))})

    def __str__(self) -> str:
        at = []
        if self.epoch is not None:
            at.append(f"epoch {self.epoch + 1}")
        if self.step is not None:
            at.append(f"step {self.step}")
        if self.where:
            at.append(self.where)
        where = f" [{', '.join(at)}]" if at else ""
        return f"{self.severity.upper()} {self.code}{where}: {self.message} Fix: {self.fix}"


def rank(findings: list[Finding]) -> list[Finding]:
    """Deduplicate by :attr:`Finding.key` (earliest onset wins) and order by severity, then
    onset (preflight findings, with no step, first)."""
    best: dict[tuple, Finding] = {}
    for f in findings:
        old = best.get(f.key)
        if old is None or _onset(f) < _onset(old):
            best[f.key] = f
    return sorted(best.values(), key=lambda f: (SEVERITY_RANK[f.severity], _onset(f), f.code))


def passes(findings: list[Finding], fail_on: str = "warning") -> bool:
    """False when a finding at or above ``fail_on`` ("warning" or "error") is among
    ``findings`` (dicts as in findings.json, or :class:`Finding`); the CI gate.

    >>> passes([Finding("nan_loss", "warning", "m", Fix("f"))], "error")
    True
    """
    if fail_on not in ("warning", "error"):
        raise ValueError(f"fail_on: {fail_on!r} is not allowed; allowed: warning, error")
    worst = SEVERITY_RANK[fail_on]
    sev = [f["severity"] if isinstance(f, dict) else f.severity for f in findings]
    return not any(SEVERITY_RANK.get(s, 9) <= worst for s in sev)


def _onset(f: Finding) -> tuple[int, int]:
    return (-1 if f.step is None else f.step, -1 if f.epoch is None else f.epoch)


def _jsonable(v: Any) -> Any:
    """Evidence may hold numpy or torch scalars and NaN; JSON gets plain numbers or strings."""
    if hasattr(v, "item") and getattr(v, "ndim", 0) == 0:
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return v
