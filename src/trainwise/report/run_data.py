"""A run directory read into plain Python data, for the report.

Every file is optional: a run without the doctor has no probes.jsonl, older runs lack
lr_steps.json, a run still training has no summary.json, a line being written may be cut
short. What is missing is ``None`` (never an exception), and the reason is in ``notes``.
Non-finite numbers are kept as ``float("nan")`` so the plots show a gap instead of failing.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trainwise import run_files

#: The files that make a directory a run directory (any one of them).
RUN_MARKERS = (run_files.METRICS, run_files.SUMMARY, run_files.LR_FIND)


@dataclass
class RunData:
    """What a run directory holds; ``None`` where the file is missing or unreadable.

    Attributes:
        path: the run directory.
        name: ``output.name`` from config.yaml, else the directory's name.
        date: when the run finished (summary.json's time, else the newest file's), local time.
        config: config.yaml as a dict.
        metrics: one dict per epoch from metrics.jsonl (``epoch`` is 1-based).
        lr_steps: the LR of every optimizer step (lr_steps.json).
        probes: one dict per doctor probe (probes.jsonl; ``epoch`` is 0-based).
        findings: the doctor's findings (findings.json, else summary.json's ``findings``).
        summary: summary.json.
        lr_find: lr_find.json.
        notes: per missing file, why a panel is empty.
    """

    path: Path
    name: str
    date: str | None = None
    config: dict[str, Any] | None = None
    metrics: list[dict[str, Any]] | None = None
    lr_steps: list[float] | None = None
    probes: list[dict[str, Any]] | None = None
    findings: list[dict[str, Any]] | None = None
    summary: dict[str, Any] | None = None
    lr_find: dict[str, Any] | None = None
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def activation(self) -> str | None:
        """The model's activation from the config (e.g. "gelu"), if known."""
        model = (self.config or {}).get("model") or {}
        act = model.get("activation")
        return act if isinstance(act, str) else None


def is_run_dir(path: str | Path) -> bool:
    """True if ``path`` holds any of :data:`RUN_MARKERS`.

    >>> is_run_dir("/nonexistent")
    False
    """
    path = Path(path)
    return any((path / m).is_file() for m in RUN_MARKERS)


def load_run(path: str | Path) -> RunData:
    """Read a run directory; every file is optional (see the module docstring).

    Example::

        run = load_run("runs/demo-20261123-101500")
        [m["val_loss"] for m in run.metrics or []]
    """
    path = Path(path)
    run = RunData(path=path, name=path.resolve().name)
    run.config = read_yaml(path / run_files.CONFIG)
    run.metrics = read_jsonl(path / run_files.METRICS)
    run.probes = read_jsonl(path / run_files.PROBES)
    run.summary = read_json(path / run_files.SUMMARY, dict)
    run.lr_find = read_json(path / run_files.LR_FIND, dict)
    lr_steps = read_json(path / run_files.LR_STEPS, list)
    run.lr_steps = [_num(v) for v in lr_steps] if lr_steps is not None else None
    findings = read_json(path / run_files.FINDINGS, list)
    if findings is None and run.summary is not None and "findings" in run.summary:
        findings = run.summary["findings"]
    off = doctor_was_off(run.summary, run.config)
    if off:  # its summary's [] (older runs) is no verdict: nothing was checked
        findings = None
    run.findings = [f for f in findings if isinstance(f, dict)] if findings is not None else None

    output = (run.config or {}).get("output") or {}
    if isinstance(output.get("name"), str):
        run.name = output["name"]
    stamp = path / run_files.SUMMARY
    if not stamp.is_file():
        files = [p for p in path.iterdir() if p.is_file()] if path.is_dir() else []
        stamp = max(files, key=lambda p: p.stat().st_mtime) if files else None
    if stamp is not None:
        run.date = time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp.stat().st_mtime))

    if run.metrics is None:
        run.notes["metrics"] = "no metrics.jsonl in this directory: no curves to draw"
    if run.lr_steps is None:
        run.notes["lr_steps"] = (
            "no lr_steps.json (written at the end of a run since this version); "
            "showing the LR per epoch from metrics.jsonl instead"
        )
    if run.probes is None:
        run.notes["probes"] = (
            "no probes.jsonl: the doctor was off for this run (doctor: false), or the run "
            "did not finish"
        )
    if run.findings is None:
        run.notes["findings"] = (
            "the doctor was off for this run (doctor: false): nothing was checked, so there "
            "is no verdict"
            if off
            else "no findings.json: the doctor was off for this run, or it did not finish"
        )
    return run


def doctor_was_off(summary: dict[str, Any] | None, config: dict[str, Any] | None) -> bool:
    """Whether a run was made with the doctor off, from its summary.json (``"doctor":
    "off"``) or, for runs older than that field, its config.yaml (``doctor: false``).

    >>> doctor_was_off({"doctor": "off", "findings": None}, None), doctor_was_off(None, {})
    (True, False)
    """
    if summary is not None and summary.get("doctor") in ("off", "on"):
        return summary["doctor"] == "off"
    return (config or {}).get("doctor") is False


def finite(v: Any) -> float:
    """``v`` as a float, NaN for None, strings ("nan", "inf") and anything non-finite.

    >>> finite(None), finite("inf"), finite(2)
    (nan, nan, 2.0)
    """
    v = _num(v)
    return v if math.isfinite(v) else math.nan


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def read_json(path: Path, kind: type) -> Any:
    """The JSON in ``path`` if it is there, parses and is a ``kind``; else None."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, kind) else None


def read_jsonl(path: Path) -> list[dict[str, Any]] | None:
    """The JSON objects of ``path``, one a line, skipping lines that do not parse; None
    without the file."""
    if not path.is_file():
        return None
    try:
        text = path.read_text()
    except OSError:
        return None
    rows = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:  # a line cut short by a run still writing (or killed)
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def read_yaml(path: Path) -> dict[str, Any] | None:
    """The mapping in the YAML file ``path`` if it is there and parses; else None."""
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None
