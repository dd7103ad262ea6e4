"""The per-fold table of a cross-validation as plain text: one line per fold, then the
mean ± std of each metric (``CVResult.table()`` and ``trainwise run --folds``).

Numbers are written as in the comparison tables (:mod:`trainwise.report.stat_format`):
accuracies in %, other metrics with 4 significant digits of their mean, one number of
decimals per column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainwise.report.stat_format import decimals, format_scaled, format_stat, metric_header


def format_table(rows: Sequence[dict[str, Any]], mean: dict, std: dict) -> str:
    """A plain-text table: one line per fold, then mean ± std of each metric.

    Example::

        >>> rows = [{"fold": 1, "val_accuracy": 0.9}, {"fold": 2, "val_accuracy": 0.8}]
        >>> print(format_table(rows, {"val_accuracy": 0.85}, {"val_accuracy": 0.0707}))
              fold  val_accuracy (%)
        ----------  ----------------
                 1             90.00
                 2             80.00
        ----------  ----------------
        mean ± std      85.00 ± 7.07
    """
    keys = list(mean)
    places = {k: decimals(k, mean[k]) for k in keys}

    def cell(key: str, value: Any) -> str:
        return str(value) if isinstance(value, int) else format_scaled(value, key, places[key])

    head = ["fold"] + [metric_header(k) for k in keys]
    body = [[str(r.get("fold", i + 1))] + [cell(k, r[k]) for k in keys] for i, r in enumerate(rows)]
    last = ["mean ± std"] + [
        format_stat(k, {"mean": mean[k], "std": std[k]}, places[k]) for k in keys
    ]
    table = [head, *body, last]
    widths = [max(len(row[c]) for row in table) for c in range(len(head))]
    out = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in table]
    out.insert(1, "  ".join("-" * w for w in widths))
    out.insert(len(out) - 1, out[1])
    return "\n".join(out)
