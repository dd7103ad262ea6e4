"""What the report of a comparison shows: the results table from compare.json, the curves
per variant and the findings per variant, as the template's context.

The statistics are compare.json's (computed once, by :mod:`trainwise.experiments.stats`);
the numbers are written by :mod:`trainwise.report.stat_format`, as in compare.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trainwise.report.compare_data import CompareData, VariantData
from trainwise.report.compare_plots import compare_plots
from trainwise.report.finding_cards import findings_count, fmt_value
from trainwise.report.stat_format import (
    MISSING,
    column_decimals,
    diff_tone,
    format_diff,
    format_interval,
    format_seconds,
    format_stat,
    metric_header,
)


@dataclass
class ResultRow:
    """One variant's row of the results table: ``cells`` per metric ``{"mean", "ci",
    "diff", "tone"}`` strings (tone: "better" or "worse" when Δ's CI is clear of zero);
    ``findings``: :func:`findings_count` plus ``"off"``, the trials run with the doctor off."""

    name: str
    is_baseline: bool
    overrides: str
    trials: str
    cells: list[dict[str, str]]
    wall: str
    findings: dict[str, Any]
    links: list[tuple[str, str]] = field(default_factory=list)


def compare_context(data: CompareData) -> dict[str, Any]:
    """The template context of a comparison report (see templates/compare.html.j2).

    Example::

        from trainwise.report.compare_data import load_compare
        ctx = compare_context(load_compare("runs/compare-dropout"))
        [r.name for r in ctx["rows"]]
    """
    cfg = data.config
    decimals = table_decimals(data)
    unit = f"{data.folds} folds" if data.folds else f"seeds {_list(data.seeds)}"
    return {
        "title": f"trainwise comparison: {data.name}",
        "name": data.name,
        "facts": [
            (
                "data / model",
                f"{(cfg.get('data') or {}).get('name', '?')} / "
                f"{(cfg.get('model') or {}).get('name', '?')}",
            ),
            ("variants", str(len(data.variants))),
            ("trials per variant", unit),
            ("baseline", str(data.baseline)),
        ],
        # column headers: the unit is in the header ("(%)"), as in compare.md
        "metrics": [metric_header(m) for m in data.metrics],
        "rows": [result_row(v, data, decimals) for v in data.variants],
        "plots": compare_plots(data),
    }


def result_row(
    v: VariantData, data: CompareData, decimals: dict[str, int] | None = None
) -> ResultRow:
    """The table row of one variant; its numbers are written as in compare.md and the printed
    table (:mod:`trainwise.report.stat_format`), with ``decimals`` per metric (default: from
    the baseline's means, see :func:`table_decimals`)."""
    if decimals is None:
        decimals = table_decimals(data)
    done = sum(t.status == "done" for t in v.trials)
    cells = []
    for m in data.metrics:
        st, df = v.stats.get(m) or {}, v.diff.get(m) or {}
        if v.name == data.baseline or not df:
            diff = "baseline" if v.name == data.baseline else MISSING
        else:
            diff = format_diff(m, df, decimals[m])
        cells.append(
            {
                "mean": format_stat(m, st, decimals[m], interval=False),
                "ci": format_interval(m, st.get("ci95"), decimals[m]),
                "diff": diff,
                "tone": diff_tone(m, df),
            }
        )
    return ResultRow(
        name=v.name,
        is_baseline=v.name == data.baseline,
        overrides=" ".join(f"--set {k}={fmt_value(x, 3)}" for k, x in v.overrides.items()),
        trials=f"{done} of {len(v.trials)}",
        cells=cells,
        wall=format_seconds(v.wall_seconds.get("mean")),
        findings={
            **findings_count([t.findings for t in v.trials]),
            "off": sum(t.doctor_off for t in v.trials),
        },
        links=[(t.label, t.report_href) for t in v.trials if t.report_href],
    )


def table_decimals(data: CompareData) -> dict[str, int]:
    """Decimals per metric column, from the baseline's means (the first variant's without a
    baseline), as compare.md and the printed table choose them."""
    ref = next((v for v in data.variants if v.name == data.baseline), None)
    ref = ref or (data.variants[0] if data.variants else None)
    return column_decimals(data.metrics, ref.stats if ref else {})


def _list(values: Any) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list) else "?"
