"""Statistics over repeated trials as text: the one formatting of the printed tables
(``trainwise compare``, ``trainwise run --folds``, ``tw.cross_validate(...).table()``),
compare.md and the comparison page of report.html, so a number reads the same everywhere.

Rules:

* accuracies (any name with "accuracy") in %, 2 decimals; differences of accuracies in
  percentage points (the header says "(%)" / "(pp)"; the cells carry no unit);
* other metrics with 4 significant digits of a reference value (the baseline's mean, for a
  table column), and the same decimals for the std, the interval and every row of that
  column, so the column lines up;
* a value that cannot be computed is "—" (never NaN).

Example::

    >>> format_stat("test_accuracy", {"mean": 0.952, "std": 0.004, "ci95": [0.942, 0.962]})
    '95.20 ± 0.40 [94.20, 96.20]'
    >>> format_diff("val_loss", {"mean": -0.0123, "ci95": [-0.02, -0.004], "p": 0.013})
    '-0.01230 [-0.02000, -0.00400] p=0.013'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from trainwise.vocabulary import is_percent_metric, metric_mode

#: What a table shows for a value that cannot be computed.
MISSING = "—"


def decimals(metric: str, reference: float | None) -> int:
    """Decimals for ``metric``: 2 for accuracies (in %), else 4 significant digits of
    ``reference`` (4 decimals without one), at most 6.

    Example::

        >>> decimals("val_accuracy", 0.9), decimals("val_loss", 0.21), decimals("mse", 152.3)
        (2, 4, 1)
    """
    if is_percent_metric(metric):
        return 2
    if not reference:
        return 4
    return min(6, max(0, 3 - math.floor(math.log10(abs(reference)))))


def format_scaled(x: float | None, metric: str, d: int, sign: bool = False) -> str:
    """``x`` with ``d`` decimals, times 100 for accuracies; ``sign`` writes "+" too; None is
    "n/a".

    Example::

        >>> format_scaled(0.9512, "test_accuracy", 2), format_scaled(0.5, "loss", 3, sign=True)
        ('95.12', '+0.500')
    """
    if x is None:
        return "n/a"
    x = 100 * x if is_percent_metric(metric) else x
    return f"{x:+.{d}f}" if sign else f"{x:.{d}f}"


def format_metric_value(metric: str, value: float | None) -> str:
    """One value on its own, with its unit: ``"95.20%"`` for accuracies, else 4 significant
    digits (``decimals`` of the value itself); "—" for None or a non-finite value.

    Example::

        >>> format_metric_value("accuracy", 0.952), format_metric_value("log_loss", 0.31234)
        ('95.20%', '0.3123')
    """
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return MISSING
    unit = "%" if is_percent_metric(metric) else ""
    return format_scaled(value, metric, decimals(metric, value)) + unit


def format_interval(metric: str, ci: Sequence[float] | None, d: int, sign: bool = False) -> str:
    """``"[lo, hi]"``, or "—" without an interval.

    Example::

        >>> format_interval("val_accuracy", [0.88, 0.93], 2), format_interval("loss", None, 4)
        ('[88.00, 93.00]', '—')
    """
    if not ci or len(ci) != 2 or None in ci:
        return MISSING
    lo, hi = ci
    return f"[{format_scaled(lo, metric, d, sign)}, {format_scaled(hi, metric, d, sign)}]"


def format_stat(
    metric: str,
    s: Mapping[str, Any] | None,
    d: int | None = None,
    sep: str = " ",
    interval: bool = True,
) -> str:
    """``"95.20 ± 0.40 [94.21, 96.19]"`` (accuracy in %) from ``{"mean", "std", "ci95"}``;
    the mean alone for n = 1; "—" without values. ``d`` (default: from the mean) sets the
    decimals; ``sep`` goes before the interval (a newline in the printed table);
    ``interval=False`` leaves the interval out.

    Example::

        >>> format_stat("val_loss", {"mean": 2.0, "std": 1.0, "n": 3, "ci95": [-0.484, 4.484]})
        '2.000 ± 1.000 [-0.484, 4.484]'
    """
    if not s or s.get("mean") is None:
        return MISSING
    d = decimals(metric, s["mean"]) if d is None else d
    text = format_scaled(s["mean"], metric, d)
    if s.get("std") is not None:
        text += f" ± {format_scaled(s['std'], metric, d)}"
    if interval and s.get("ci95"):
        text += sep + format_interval(metric, s["ci95"], d)
    return text


def format_diff(
    metric: str, s: Mapping[str, Any] | None, d: int | None = None, sep: str = " "
) -> str:
    """``"+1.20 [+0.40, +2.00] p=0.021"``: a paired mean difference, its 95% interval and
    p-value (each part only when known); "—" without a difference.

    Example::

        >>> format_diff("test_accuracy", {"mean": 0.012, "ci95": [0.004, 0.02], "p": 0.021})
        '+1.20 [+0.40, +2.00] p=0.021'
    """
    if not s or s.get("mean") is None:
        return MISSING
    d = decimals(metric, s["mean"]) if d is None else d
    text = format_scaled(s["mean"], metric, d, sign=True)
    if s.get("ci95"):
        text += sep + format_interval(metric, s["ci95"], d, sign=True)
    if s.get("p") is not None:
        text += f" p={s['p']:.2g}"
    return text


def format_seconds(seconds: float | None) -> str:
    """``"12.1 s"``; two decimals below one second (tiny runs); "—" for None.

    Example::

        >>> format_seconds(12.06), format_seconds(0.042)
        ('12.1 s', '0.04 s')
    """
    if not isinstance(seconds, (int, float)):
        return MISSING
    return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds:.2f} s"


def column_decimals(
    metrics: Sequence[str], reference: Mapping[str, Mapping[str, Any] | None]
) -> dict[str, int]:
    """One number of decimals per metric column, from the reference row's mean (the
    baseline's ``stats``), so every row of a column has the same decimals.

    Example::

        >>> column_decimals(["val_loss", "test_accuracy"], {"val_loss": {"mean": 0.31}})
        {'val_loss': 4, 'test_accuracy': 2}
    """
    return {m: decimals(m, (reference.get(m) or {}).get("mean")) for m in metrics}


def metric_header(metric: str) -> str:
    """A column header: ``"test_accuracy (%)"``, else the name.

    >>> metric_header("test_accuracy"), metric_header("val_loss")
    ('test_accuracy (%)', 'val_loss')
    """
    return f"{metric} (%)" if is_percent_metric(metric) else metric


def diff_header(metric: str) -> str:
    """The header of a difference column: ``"Δ test_accuracy (pp)"`` or ``"Δ val_loss"``.

    >>> diff_header("test_accuracy")
    'Δ test_accuracy (pp)'
    """
    return f"Δ {metric} (pp)" if is_percent_metric(metric) else f"Δ {metric}"


def diff_tone(metric: str, diff: Mapping[str, Any] | None) -> str:
    """``"better"`` or ``"worse"`` when the difference's 95% interval excludes zero (the
    metric's direction from :func:`trainwise.vocabulary.metric_mode`), else "".

    Example::

        >>> diff_tone("val_loss", {"ci95": [0.01, 0.09]}), diff_tone("val_accuracy", {"ci95": [0.01, 0.09]})
        ('worse', 'better')
    """  # noqa: E501 - a doctest line
    ci = (diff or {}).get("ci95")
    if not isinstance(ci, (list, tuple)) or len(ci) != 2 or None in ci:
        return ""
    lower_is_better = metric_mode(metric) == "min"
    if ci[0] > 0:
        return "worse" if lower_is_better else "better"
    if ci[1] < 0:
        return "better" if lower_is_better else "worse"
    return ""
