"""A comparison directory (``trainwise compare``) read into plain data, for the report.

The layout is the contract in compare.json (version 1): ``variants[*].trials[*].dir`` is a
run directory relative to the comparison directory. Trials that failed or were not run yet
have no files; they are listed and skipped in the curves, never an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainwise import run_files
from trainwise.report.run_data import doctor_was_off, read_json, read_jsonl, read_yaml

COMPARE_FILE = run_files.COMPARE


@dataclass
class TrialData:
    """One trial (one seed or fold of one variant).

    ``label`` is "seed 0" or "fold 2"; ``metrics`` its metrics.jsonl rows (None when
    missing); ``findings`` its findings.json (None when missing); ``doctor_off`` whether it
    ran with the doctor off (its summary.json or config.yaml says so); ``report_href`` the
    relative link to its report.html, if that exists.
    """

    label: str
    status: str
    dir: Path | None
    values: dict[str, Any] = field(default_factory=dict)
    wall_seconds: float | None = None
    metrics: list[dict[str, Any]] | None = None
    findings: list[dict[str, Any]] | None = None
    doctor_off: bool = False
    report_href: str | None = None


@dataclass
class VariantData:
    """One variant: its overrides, trials and the statistics compare.json holds for it."""

    name: str
    overrides: dict[str, Any]
    trials: list[TrialData]
    stats: dict[str, Any]
    diff: dict[str, Any]
    wall_seconds: dict[str, Any]


@dataclass
class CompareData:
    """compare.json plus each trial's curves and findings."""

    path: Path
    name: str
    baseline: str | None
    metrics: list[str]
    seeds: list[Any] | None
    folds: Any
    config: dict[str, Any]
    variants: list[VariantData]


def is_compare_dir(path: str | Path) -> bool:
    """True if ``path`` holds a compare.json.

    >>> is_compare_dir("/nonexistent")
    False
    """
    return (Path(path) / COMPARE_FILE).is_file()


def load_compare(path: str | Path) -> CompareData:
    """Read compare.json and every trial's metrics.jsonl and findings.json.

    Raises ``ValueError`` (from ``json``) if compare.json itself is not JSON: without it there
    is nothing to report.

    Example::

        data = load_compare("runs/compare-dropout")
        [v.name for v in data.variants]
    """
    path = Path(path)
    raw = json.loads((path / COMPARE_FILE).read_text())
    if not isinstance(raw, dict):
        raise ValueError(f"{COMPARE_FILE} holds a {type(raw).__name__}, not an object")
    variants = []
    for v in raw.get("variants") or []:
        if not isinstance(v, dict):
            continue
        trials = [_trial(path, t) for t in v.get("trials") or [] if isinstance(t, dict)]
        variants.append(
            VariantData(
                name=str(v.get("name", "?")),
                overrides=dict(v.get("overrides") or {}),
                trials=trials,
                stats=dict(v.get("stats") or {}),
                diff=dict(v.get("diff") or {}),
                wall_seconds=dict(v.get("wall_seconds") or {}),
            )
        )
    return CompareData(
        path=path,
        name=path.resolve().name,
        baseline=raw.get("baseline"),
        metrics=[str(m) for m in raw.get("metrics") or []],
        seeds=raw.get("seeds"),
        folds=raw.get("folds"),
        config=dict(raw.get("config") or {}),
        variants=variants,
    )


def _trial(root: Path, t: dict[str, Any]) -> TrialData:
    fold, seed = t.get("fold"), t.get("seed")
    label = f"fold {fold}" if fold is not None else f"seed {seed}"
    rel = t.get("dir")
    trial = TrialData(
        label=label,
        status=str(t.get("status", "?")),
        dir=root / rel if isinstance(rel, str) else None,
        values=dict(t.get("metrics") or {}),
        wall_seconds=t.get("wall_seconds"),
    )
    if trial.dir is not None:
        trial.metrics = read_jsonl(trial.dir / run_files.METRICS)
        trial.findings = read_json(trial.dir / run_files.FINDINGS, list)
        trial.doctor_off = doctor_was_off(
            read_json(trial.dir / run_files.SUMMARY, dict), read_yaml(trial.dir / run_files.CONFIG)
        )
        if trial.doctor_off:
            trial.findings = None  # nothing was checked: no verdict, not a clean one
        if (trial.dir / run_files.REPORT).is_file():
            # relative, so the comparison directory can be moved or zipped as a whole
            trial.report_href = Path(rel, run_files.REPORT).as_posix()
    return trial
