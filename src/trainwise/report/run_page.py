"""What the report of one run shows: the header facts, the panels and the findings, as the
template's context."""

from __future__ import annotations

from typing import Any

from trainwise import run_files
from trainwise.report.curve_plots import loss_plot, lr_plot, metric_plot
from trainwise.report.finding_cards import finding_cards, fmt_value
from trainwise.report.lr_find_plot import lr_find_plot
from trainwise.report.probe_plots import probe_plots
from trainwise.report.run_data import RunData


def run_context(run: RunData) -> dict[str, Any]:
    """The template context of a run report (see templates/run.html.j2).

    Example::

        from trainwise.report.run_data import load_run
        ctx = run_context(load_run("runs/demo-20261123-101500"))
        [p.id for p in ctx["curves"]]   # ['plot-loss', 'plot-metric', 'plot-lr']
    """
    return {
        "title": f"trainwise report: {run.name}",
        "name": run.name,
        "date": run.date,
        "facts": header_facts(run),
        "curves": [loss_plot(run), metric_plot(run), lr_plot(run)],
        "probes": probe_plots(run),
        "findings": finding_cards(run.findings) if run.findings is not None else None,
        "findings_note": run.notes.get("findings"),
        "lr_find": lr_find_plot(run.lr_find) if run.lr_find is not None else None,
        "config_yaml": _config_text(run),
    }


def header_facts(run: RunData) -> list[tuple[str, str]]:
    """(label, value) rows for the summary table: data and model, test metrics, best epoch,
    stop reason, wall time, parameters.

    >>> from pathlib import Path
    >>> header_facts(RunData(Path("x"), "x", summary={"test": {"test_accuracy": 0.9912},
    ...     "epochs_run": 3, "best_epoch": 2, "stop_reason": None, "train_seconds": 1.5}))[:2]
    [('test accuracy', '99.12%'), ('best epoch', '2 of 3')]
    """
    facts: list[tuple[str, str]] = []
    cfg = run.config or {}
    data, model = cfg.get("data") or {}, cfg.get("model") or {}
    if data.get("name") or model.get("name"):
        facts.append(("data / model", f"{data.get('name', '?')} / {model.get('name', '?')}"))
    s = run.summary
    if s is None:
        facts.append(("status", "no summary.json: the run has not finished (or was stopped)"))
        if run.metrics:
            facts.append(("epochs logged", str(len(run.metrics))))
        return facts
    for key, value in (s.get("test") or {}).items():
        facts.append((key.replace("_", " "), _metric(key, value)))
    if s.get("best_epoch") is not None:
        facts.append(("best epoch", f"{s['best_epoch']} of {s.get('epochs_run', '?')}"))
    for key, value in (s.get("best") or {}).items():
        if key.startswith("val_"):
            facts.append((f"{key.replace('_', ' ')} (best epoch)", _metric(key, value)))
    reason = s.get("stop_reason")
    facts.append(("stopped", reason if reason else f"ran all {s.get('epochs_run', '?')} epochs"))
    if isinstance(s.get("train_seconds"), (int, float)):
        facts.append(("training time", f"{s['train_seconds']:.1f} s"))
    if isinstance(s.get("params"), int):
        facts.append(("parameters", f"{s['params']:,}"))
    return facts


def _metric(key: str, value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "accuracy" in key:
        return f"{100 * value:.2f}%"
    return fmt_value(value)


def _config_text(run: RunData) -> str | None:
    path = run.path / run_files.CONFIG
    try:
        return path.read_text() if path.is_file() else None
    except OSError:
        return None
