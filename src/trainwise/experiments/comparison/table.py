"""The comparison table, from compare.json: printed (rich), compare.md and compare.csv.

One row per variant: each metric as ``mean ± std [95% CI]``, the difference from the baseline
(paired by seed or fold) of the **first** metric only, the finished trials and the mean wall
time of a trial. Only the first metric's difference is shown so the table stays readable at
80-120 columns; the differences of every metric, with p-values, are in compare.json and
compare.csv. Accuracies are shown in % (differences in percentage points, ``pp``); other
metrics with 4 significant digits of the baseline's mean.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from trainwise.report.stat_format import (
    column_decimals,
    diff_header,
    format_diff,
    format_seconds,
    format_stat,
    metric_header,
)


def table_rows(results: dict[str, Any], sep: str = " ") -> tuple[list[str], list[list[str]]]:
    """Headers and string cells of the table (shared by the printed and markdown forms);
    ``sep`` goes before each interval ("\\n" puts it on a second line). The cells come from
    :mod:`trainwise.report.stat_format`, as on the report's comparison page."""
    metrics = results["metrics"]
    baseline = next((v for v in results["variants"] if v["name"] == results["baseline"]), None)
    # One number of decimals per metric column, from the baseline's mean, so columns align.
    decimals = column_decimals(metrics, (baseline or results["variants"][0])["stats"])
    headers = ["Variant"] + [metric_header(m) for m in metrics]
    first = metrics[0] if metrics else None
    if first:
        headers.append(diff_header(first))
    headers += ["trials", "wall time"]
    rows = []
    for v in results["variants"]:
        row = [v["name"]] + [format_stat(m, v["stats"][m], decimals[m], sep) for m in metrics]
        if first:
            is_base = v["name"] == results["baseline"]
            row.append(
                "baseline"
                if is_base
                else format_diff(first, v["diff"].get(first), decimals[first], sep)
            )
        done = sum(t["status"] == "done" for t in v["trials"])
        row.append(f"{done}/{len(v['trials'])}")
        row.append(format_seconds(v["wall_seconds"]["mean"]))
        rows.append(row)
    return headers, rows


def caption(results: dict[str, Any]) -> str:
    """One line saying what the numbers are."""
    if results.get("folds"):
        over, pair = f"{results['folds']} folds", "fold"
    else:
        n = len(results.get("seeds") or [])
        over, pair = f"{n} seed{'s' if n != 1 else ''}", "seed"
    return (
        f"mean ± sample std [95% t-interval] over {over}; Δ: minus the baseline "
        f"({results['baseline']}), paired by {pair}, with its 95% interval and paired t-test p; "
        "wall time: mean per trial"
    )


def to_markdown(results: dict[str, Any]) -> str:
    """The table as GitHub markdown, ready to paste into docs, with its caption below."""
    headers, rows = table_rows(results)

    def line(cells):
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    out = [line(headers), "|" + "|".join("---" for _ in headers) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out) + f"\n\n{caption(results)}\n"


def print_table(results: dict[str, Any], console=None) -> None:
    """Print the table with rich (``console`` default: a new Console on stdout, 200 columns
    wide when stdout is not a terminal); the intervals go on a second line of each cell."""
    from rich.console import Console  # lazy: start-up time (only when printing)
    from rich.table import Table

    headers, rows = table_rows(results, sep="\n")
    table = Table(title="trainwise compare", caption=caption(results))
    for i, h in enumerate(headers):
        table.add_column(h, justify="left" if i == 0 else "right", overflow="fold")
    for r in rows:
        table.add_row(*r)
    if console is None:
        console = Console()
        if not console.is_terminal:  # a log or a pipe: no need to squeeze into 80 columns
            console = Console(width=200)
    console.print(table)


def write_csv(results: dict[str, Any], path: Path) -> None:
    """One row per variant, every number in its own column (empty where not computable)."""
    metrics = results["metrics"]
    head = ["variant", "baseline", "overrides", "trials", "done", "wall_mean_s", "wall_total_s"]
    for m in metrics:
        head += [f"{m}_mean", f"{m}_std", f"{m}_n", f"{m}_ci95_lo", f"{m}_ci95_hi"]
    for m in metrics:
        head += [f"diff_{m}_mean", f"diff_{m}_ci95_lo", f"diff_{m}_ci95_hi", f"diff_{m}_p"]

    def cell(x):
        return "" if x is None else x

    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(head)
        for v in results["variants"]:
            row = [
                v["name"],
                v["name"] == results["baseline"],
                json.dumps(v["overrides"]),
                len(v["trials"]),
                sum(t["status"] == "done" for t in v["trials"]),
                cell(v["wall_seconds"]["mean"]),
                cell(v["wall_seconds"]["total"]),
            ]
            for m in metrics:
                s = v["stats"][m]
                ci = s["ci95"] or [None, None]
                row += [cell(s["mean"]), cell(s["std"]), s["n"], cell(ci[0]), cell(ci[1])]
            for m in metrics:
                s = v["diff"].get(m) or {}
                ci = s.get("ci95") or [None, None]
                row += [cell(s.get("mean")), cell(ci[0]), cell(ci[1]), cell(s.get("p"))]
            w.writerow(row)
