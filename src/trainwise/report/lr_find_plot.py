"""The LR finder's curve, drawn from lr_find.json (``trainwise lr-find --out <run dir>``)."""

from __future__ import annotations

import math
from typing import Any

from trainwise.report.plot import Plot, any_finite, empty, new_figure, no_data_text, panel
from trainwise.report.run_data import finite

_STYLES = {"steepest": ("C1", "--"), "valley": ("C2", "-."), "min_div_10": ("C3", ":")}


def lr_find_plot(data: dict[str, Any]) -> Plot:
    """Raw and smoothed loss against the LR (log x), each suggestion a vertical line, the
    suggested LR in black; the diverging tail is cut from the y range.

    Example::

        lr_find_plot(json.loads(Path("runs/x/lr_find.json").read_text()))
    """
    id, title = "plot-lr-find", "LR finder"
    lrs = [finite(v) for v in data.get("lrs") or []]
    losses = [finite(v) for v in data.get("losses") or []]
    smoothed = [finite(v) for v in data.get("smoothed") or []]
    if not lrs or not any(math.isfinite(v) and v > 0 for v in lrs):
        return empty(id, title, "lr_find.json holds no learning rates")
    fig = new_figure()
    ax = fig.add_subplot()
    ax.set_xscale("log")
    if losses:
        ax.plot(lrs[: len(losses)], losses, color="0.75", lw=1, label="loss (per batch)")
    if smoothed:
        ax.plot(lrs[: len(smoothed)], smoothed, color="C0", lw=2, label="smoothed loss")
    for name, lr in (data.get("suggestions") or {}).items():
        lr = finite(lr)
        if math.isfinite(lr) and lr > 0:
            color, ls = _STYLES.get(name, ("C4", "--"))
            ax.axvline(lr, color=color, ls=ls, lw=1.5, label=f"{name} {lr:.2g}")
    suggested = finite(data.get("suggested"))
    if math.isfinite(suggested) and suggested > 0:
        ax.axvline(suggested, color="k", lw=1.2, label=f"suggested {suggested:.2g}")
    finite_s = [v for v in smoothed if math.isfinite(v)]
    if finite_s:  # the diverging tail would squash the interesting part of the curve
        low = min(finite_s)
        high = max(finite_s[: finite_s.index(low) + 1])
        pad = 0.1 * (high - low) or 0.1 * abs(high) or 0.1
        ax.set_ylim(low - pad, high + 3 * pad)
    if not any_finite(losses + smoothed):
        no_data_text(ax)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3, which="both", lw=0.4)
    ax.legend(fontsize=7)
    caption = str(data.get("message") or "loss while the LR grows exponentially")
    return panel(id, title, fig, caption)
