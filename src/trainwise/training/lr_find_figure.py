"""The LR finder's one figure: raw and smoothed loss against the LR, suggestions marked.

Drawn from the lr_find.json form of a result (:meth:`LRFindResult.to_dict`), so the same
picture serves ``LRFindResult.plot`` (a PNG beside the run) and the HTML report (which reads
lr_find.json back). It lives with the LR finder rather than in ``report/`` because the
training layer may not import the report layer.

A bare ``matplotlib.figure.Figure`` (Agg canvas), never pyplot: no window, and the caller's
global matplotlib backend is left alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure

#: suggestion rule -> (colour, line style); the suggested LR itself is drawn in black
STYLES = {"steepest": ("C1", "--"), "valley": ("C2", "-."), "min_div_10": ("C3", ":")}


def _finite(v: Any) -> float:
    # lr_find.json writes non-finite losses as null; they become gaps in the line
    try:
        v = float(v)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def has_learning_rates(data: Mapping[str, Any]) -> bool:
    """Whether ``data`` holds at least one positive, finite LR (something to draw).

    >>> has_learning_rates({"lrs": [1e-3]}), has_learning_rates({})
    (True, False)
    """
    return any(_finite(v) > 0 for v in data.get("lrs") or [])


def draw_lr_find(fig: Figure, data: Mapping[str, Any], title: str | None = None) -> Figure:
    """Draw the curve of ``data`` (lr_find.json's keys: lrs, losses, smoothed, suggestions,
    suggested) on one new axes of ``fig``, with a log LR axis; the diverging tail is cut from
    the y range so the descent stays readable. ``title`` (default None: none) goes above the
    axes. Returns ``fig``.

    Example::

        fig = draw_lr_find(Figure(figsize=(7, 4.5), layout="tight"), result.to_dict())
        fig.savefig("lr_find.png")
    """
    lrs = [_finite(v) for v in data.get("lrs") or []]
    losses = [_finite(v) for v in data.get("losses") or []]
    smoothed = [_finite(v) for v in data.get("smoothed") or []]
    ax = fig.add_subplot()
    ax.set_xscale("log")
    if losses:
        ax.plot(lrs[: len(losses)], losses, color="0.75", lw=1, label="loss (per batch)")
    if smoothed:
        ax.plot(lrs[: len(smoothed)], smoothed, color="C0", lw=2, label="smoothed loss")
    for name, lr in (data.get("suggestions") or {}).items():
        lr = _finite(lr)
        if lr > 0:
            color, ls = STYLES.get(name, ("C4", "--"))
            ax.axvline(lr, color=color, ls=ls, lw=1.5, label=f"{name} {lr:.2g}")
    suggested = _finite(data.get("suggested"))
    if suggested > 0:
        ax.axvline(suggested, color="k", lw=1.2, label=f"suggested {suggested:.2g}")
    finite_s = [v for v in smoothed if math.isfinite(v)]
    if finite_s:  # the diverging tail would squash the interesting part of the curve
        low = min(finite_s)
        high = max(finite_s[: finite_s.index(low) + 1])
        pad = 0.1 * (high - low) or 0.1 * abs(high) or 0.1
        ax.set_ylim(low - pad, high + 3 * pad)
    if not any(math.isfinite(v) for v in losses + smoothed):
        text = "no finite values to plot"
        ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.4")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3, which="both", lw=0.4)
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title)
    return fig
