"""The doctor's findings (``Finding.to_dict()`` dicts) as cards for the report, and their
counts per variant for a comparison.

Works on the dicts, not on :class:`~trainwise.doctor.finding.Finding`, so a report of a run
made by a newer version with a code this one does not know still renders.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from trainwise.doctor.finding import SEVERITY_RANK
from trainwise.vocabulary import format_value


@dataclass
class FindingCard:
    """What a finding's card shows; ``onset`` like "epoch 3, step 120" (epochs 1-based, as
    everywhere the user reads them), ``evidence`` as (name, formatted value) rows, ``sets``
    the fix's overrides as ``--set k=v`` flags."""

    severity: str
    code: str
    message: str
    where: str | None
    onset: str | None
    evidence: list[tuple[str, str]] = field(default_factory=list)
    fix: str = ""
    sets: str = ""


def finding_card(d: dict[str, Any]) -> FindingCard:
    """A card from one ``Finding.to_dict()``.

    >>> c = finding_card({"code": "lr_too_high", "severity": "warning", "message": "m",
    ...     "step": 40, "epoch": 0, "where": None, "evidence": {"ratio": 0.31234567},
    ...     "fix": {"text": "lower it", "overrides": {"optimizer.lr": 0.0003}}})
    >>> c.onset, c.evidence, c.sets
    ('epoch 1, step 40', [('ratio', '0.3123')], '--set optimizer.lr=0.0003')
    """
    at = []
    if isinstance(d.get("epoch"), int):
        at.append(f"epoch {d['epoch'] + 1}")
    if isinstance(d.get("step"), int):
        at.append(f"step {d['step']}")
    fix = d.get("fix") if isinstance(d.get("fix"), dict) else {}
    overrides = fix.get("overrides") if isinstance(fix.get("overrides"), dict) else {}
    severity = str(d.get("severity", "info"))
    return FindingCard(
        severity=severity if severity in SEVERITY_RANK else "info",
        code=str(d.get("code", "?")),
        message=str(d.get("message", "")),
        where=str(d["where"]) if d.get("where") is not None else None,
        onset=", ".join(at) or None,
        evidence=[(str(k), fmt_value(v)) for k, v in (d.get("evidence") or {}).items()],
        fix=str(fix.get("text", "")),
        sets=" ".join(f"--set {k}={fmt_value(v, digits=3)}" for k, v in overrides.items()),
    )


def finding_cards(findings: list[dict[str, Any]]) -> list[FindingCard]:
    """Cards for every finding, errors first, then warnings, then info (stable otherwise:
    the doctor already ranks by onset)."""
    cards = [finding_card(d) for d in findings]
    return sorted(cards, key=lambda c: SEVERITY_RANK[c.severity])


def fmt_value(v: Any, digits: int = 4) -> str:
    """A compact string for an evidence value or override: floats to ``digits`` significant
    digits, booleans in YAML spelling, lists and dicts as short JSON.

    >>> fmt_value(0.000123456), fmt_value(True), fmt_value([1, 2]), fmt_value(float("nan"))
    ('0.0001235', 'true', '[1, 2]', 'nan')
    """
    return format_value(v, digits)


def findings_count(trial_findings: list[list[dict[str, Any]] | None]) -> dict[str, Any]:
    """For a variant's trials: ``{"codes": [(code, severity, trials with it)], "trials":
    trials with a findings.json}``, codes by worst severity then how many trials had them.

    >>> findings_count([[{"code": "overfitting", "severity": "warning"}], [], None])
    {'codes': [('overfitting', 'warning', 1)], 'trials': 2}
    """
    seen: Counter[str] = Counter()
    worst: dict[str, str] = {}
    known = [f for f in trial_findings if f is not None]
    for findings in known:
        for code in {str(d.get("code")) for d in findings}:
            seen[code] += 1
        for d in findings:
            code, sev = str(d.get("code")), str(d.get("severity", "info"))
            sev = sev if sev in SEVERITY_RANK else "info"
            if code not in worst or SEVERITY_RANK[sev] < SEVERITY_RANK[worst[code]]:
                worst[code] = sev
    codes = sorted(seen, key=lambda c: (SEVERITY_RANK[worst[c]], -seen[c], c))
    return {"codes": [(c, worst[c], seen[c]) for c in codes], "trials": len(known)}
