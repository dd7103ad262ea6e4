"""What the report of a comparison shows: the results table from compare.json, the curves
per variant and the findings per variant, as the template's context."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from trainwise.report.compare_data import CompareData, VariantData
from trainwise.report.compare_plots import compare_plots
from trainwise.report.finding_cards import findings_count, fmt_value


@dataclass
class ResultRow:
    """One variant's row of the results table: ``cells`` per metric ``{"mean", "ci",
    "diff", "tone"}`` strings (tone: "better" or "worse" when Δ's CI is clear of zero)."""

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
        "metrics": data.metrics,
        "rows": [result_row(v, data) for v in data.variants],
        "plots": compare_plots(data),
    }


def result_row(v: VariantData, data: CompareData) -> ResultRow:
    """The table row of one variant."""
    done = sum(t.status == "done" for t in v.trials)
    cells = []
    for m in data.metrics:
        st, df = v.stats.get(m) or {}, v.diff.get(m) or {}
        mean = fmt_metric(m, st.get("mean"))
        if st.get("std") is not None:
            mean += f" ± {fmt_metric(m, st['std'], unit=False)}"
        ci = _interval(m, st.get("ci95"))
        if v.name == data.baseline or not df:
            diff = "baseline" if v.name == data.baseline else "–"
        else:
            diff = fmt_metric(m, df.get("mean"), diff=True)
            if df.get("ci95"):
                diff += f" {_interval(m, df['ci95'], diff=True)}"
            if df.get("p") is not None:
                diff += f", p = {df['p']:.2g}"
        cells.append({"mean": mean, "ci": ci, "diff": diff, "tone": _tone(m, df)})
    wall = v.wall_seconds.get("mean")
    return ResultRow(
        name=v.name,
        is_baseline=v.name == data.baseline,
        overrides=" ".join(f"--set {k}={fmt_value(x, 3)}" for k, x in v.overrides.items()),
        trials=f"{done} of {len(v.trials)}",
        cells=cells,
        wall=f"{wall:.1f} s" if isinstance(wall, (int, float)) else "–",
        findings=findings_count([t.findings for t in v.trials]),
        links=[(t.label, t.report_href) for t in v.trials if t.report_href],
    )


def fmt_metric(metric: str, value: Any, diff: bool = False, unit: bool = True) -> str:
    """Accuracies in percent (differences in percentage points), the rest to 4 significant
    digits; ``None`` or non-finite as "–".

    >>> fmt_metric("test_accuracy", 0.9512), fmt_metric("val_accuracy", 0.012, diff=True)
    ('95.12%', '+1.20 pp')
    >>> fmt_metric("val_loss", 0.21345), fmt_metric("val_loss", None)
    ('0.2135', '–')
    """
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    sign = "+" if diff and value > 0 else ""
    if "accuracy" in metric:
        return f"{sign}{100 * value:.2f}" + ((" pp" if diff else "%") if unit else "")
    return f"{sign}{value:.4g}"


def _interval(metric: str, ci: Any, diff: bool = False) -> str:
    if not isinstance(ci, (list, tuple)) or len(ci) != 2 or None in ci:
        return "–"
    lo, hi = (fmt_metric(metric, x, diff=diff, unit=False) for x in ci)
    return f"[{lo}, {hi}]"


def _tone(metric: str, diff: dict[str, Any]) -> str:
    """ "better"/"worse" when the difference's 95% CI excludes zero, else "" (losses and
    errors are better lower)."""
    ci = diff.get("ci95")
    if not isinstance(ci, (list, tuple)) or len(ci) != 2 or None in ci:
        return ""
    lower_is_better = any(w in metric for w in ("loss", "mse", "mae", "error"))
    if ci[0] > 0:
        return "worse" if lower_is_better else "better"
    if ci[1] < 0:
        return "better" if lower_is_better else "worse"
    return ""


def _list(values: Any) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list) else "?"
