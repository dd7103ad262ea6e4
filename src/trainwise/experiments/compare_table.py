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
import math
from pathlib import Path
from typing import Any


def _is_pct(metric: str) -> bool:
    return "accuracy" in metric


def _decimals(metric: str, reference: float | None) -> int:
    if _is_pct(metric):
        return 2
    if not reference:
        return 4
    # 4 significant digits of the reference value, and the same decimals for std and CI
    return min(6, max(0, 3 - math.floor(math.log10(abs(reference)))))


def _fmt(x: float | None, metric: str, d: int, sign: bool = False) -> str:
    if x is None:
        return "n/a"
    x = 100 * x if _is_pct(metric) else x
    return f"{x:+.{d}f}" if sign else f"{x:.{d}f}"


def format_seconds(seconds: float) -> str:
    """``"12.1 s"``; two decimals below one second (tiny runs)."""
    return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds:.2f} s"


def format_stat(metric: str, s: dict[str, Any], d: int | None = None, sep: str = " ") -> str:
    """``"95.20 ± 0.40 [94.21, 96.19]"`` (accuracy in %); the mean alone for n = 1; ``"—"``
    without values. ``sep`` goes before the interval (a newline in the printed table).

    Example::

        >>> format_stat("val_loss", {"mean": 2.0, "std": 1.0, "n": 3, "ci95": [-0.484, 4.484]})
        '2.000 ± 1.000 [-0.484, 4.484]'
    """
    if not s or s.get("mean") is None:
        return "—"
    d = _decimals(metric, s["mean"]) if d is None else d
    text = _fmt(s["mean"], metric, d)
    if s.get("std") is not None:
        text += f" ± {_fmt(s['std'], metric, d)}"
    if s.get("ci95"):
        lo, hi = s["ci95"]
        text += f"{sep}[{_fmt(lo, metric, d)}, {_fmt(hi, metric, d)}]"
    return text


def format_diff(metric: str, s: dict[str, Any], d: int | None = None, sep: str = " ") -> str:
    """``"+1.20 [+0.40, +2.00] p=0.02"``: paired mean difference, its 95% CI and p-value.

    Example::

        >>> format_diff("test_accuracy", {"mean": 0.012, "ci95": [0.004, 0.02], "p": 0.021})
        '+1.20 [+0.40, +2.00] p=0.021'
    """
    if not s or s.get("mean") is None:
        return "—"
    d = _decimals(metric, s["mean"]) if d is None else d
    text = _fmt(s["mean"], metric, d, sign=True)
    if s.get("ci95"):
        lo, hi = s["ci95"]
        text += f"{sep}[{_fmt(lo, metric, d, True)}, {_fmt(hi, metric, d, True)}]"
    if s.get("p") is not None:
        text += f" p={s['p']:.2g}"
    return text


def table_rows(results: dict[str, Any], sep: str = " ") -> tuple[list[str], list[list[str]]]:
    """Headers and string cells of the table (shared by the printed and markdown forms);
    ``sep`` goes before each interval ("\\n" puts it on a second line)."""
    metrics = results["metrics"]
    baseline = next((v for v in results["variants"] if v["name"] == results["baseline"]), None)
    # One number of decimals per metric column, from the baseline's mean, so columns align.
    decimals = {
        m: _decimals(m, (baseline or results["variants"][0])["stats"][m]["mean"]) for m in metrics
    }
    headers = ["Variant"] + [f"{m} (%)" if _is_pct(m) else m for m in metrics]
    first = metrics[0] if metrics else None
    if first:
        headers.append(f"Δ {first} (pp)" if _is_pct(first) else f"Δ {first}")
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
        wall = v["wall_seconds"]["mean"]
        row.append("—" if wall is None else format_seconds(wall))
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
    from rich.console import Console
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
