"""The doctor's probe history (probes.jsonl) as plots: per-layer gradient norms over time
(lines and a heatmap), update/weight ratios against the healthy band, and dead/saturated
unit shares.

probes.jsonl has one line per probed optimizer step (steps 0-7, then a doubling interval:
~64 lines per run), so the x axis is the optimizer step, unevenly spaced.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize

from trainwise.report.plot import (
    Plot,
    any_finite,
    empty,
    new_figure,
    no_data_text,
    panel,
    positive_or_nan,
)
from trainwise.report.run_data import RunData, finite

#: Update/weight ratio band drawn as healthy: ~1e-3 per step is the usual rule of thumb
#: (Karpathy); the doctor flags ratios persistently >> 1e-2 or << 1e-4 (docs/doctor.md).
HEALTHY_RATIO = (1e-4, 1e-2)
#: Above this many layers the line plots get a colour bar instead of a legend.
MAX_LEGEND = 10

_CMAP = colormaps["viridis"]


def layer_series(probes: list[dict], key: str) -> dict[str, list[float]]:
    """``{name: [value per probe]}`` for the per-name dict ``key`` ("grad_norm",
    "update_ratio", "dead", "saturated") of every probe, names in order of first appearance
    (forward order); NaN where a probe lacks the name or its value is null.

    >>> layer_series([{"grad_norm": {"a": 1.0}}, {"grad_norm": {"a": None, "b": 2.0}}],
    ...              "grad_norm")
    {'a': [1.0, nan], 'b': [nan, 2.0]}
    """
    names: list[str] = []
    for p in probes:
        for name in p.get(key) or {}:
            if name not in names:
                names.append(name)
    return {n: [finite((p.get(key) or {}).get(n)) for p in probes] for n in names}


def probe_plots(run: RunData) -> list[Plot]:
    """The gradient-flow, heatmap, update-ratio and activation panels; a single note panel
    when the run has no probe history."""
    if not run.probes:
        note = run.notes.get("probes", "probes.jsonl is empty: no step was probed")
        return [empty("plot-grad-flow", "Gradient flow", note)]
    return [
        grad_flow_plot(run.probes),
        grad_heatmap_plot(run.probes),
        update_ratio_plot(run.probes),
        activation_plot(run.probes, run.activation),
    ]


def grad_flow_plot(probes: list[dict]) -> Plot:
    """Gradient norm of each layer weight per probed step, log scale, coloured by depth."""
    id, title = "plot-grad-flow", "Gradient flow"
    series = layer_series(probes, "grad_norm")
    if not series:
        return empty(id, title, "the probes recorded no gradient norms")
    fig = _layer_lines(probes, series, "gradient norm")
    return panel(
        id,
        title,
        fig,
        "gradient norm of each layer's weight at the probed steps (log scale; colour: depth, "
        "dark = input side); gaps: zero or non-finite",
    )


def update_ratio_plot(probes: list[dict]) -> Plot:
    """Update/weight ratio per layer weight, log scale, healthy band shaded."""
    id, title = "plot-update-ratio", "Update / weight ratio"
    series = layer_series(probes, "update_ratio")
    if not series:
        return empty(id, title, "the probes recorded no update/weight ratios")
    fig = _layer_lines(probes, series, "|update| / |weight|")
    ax = fig.axes[0]
    lo, hi = HEALTHY_RATIO
    ax.axhspan(lo, hi, color="tab:green", alpha=0.12, lw=0, label="healthy band")
    ax.axhline(1e-3, color="tab:green", ls="--", lw=1)
    return panel(
        id,
        title,
        fig,
        f"size of each step's update relative to the weight, per layer (log scale); green: "
        f"the healthy band {lo:g}-{hi:g} around 1e-3",
    )


def grad_heatmap_plot(probes: list[dict]) -> Plot:
    """log10 gradient norm as a layers x probed-steps heatmap."""
    id, title = "plot-grad-heatmap", "Gradient norms, layers x steps"
    series = layer_series(probes, "grad_norm")
    if not series:
        return empty(id, title, "the probes recorded no gradient norms")
    names = list(series)
    with np.errstate(divide="ignore", invalid="ignore"):
        grid = np.log10(np.array([positive_or_nan(series[n]) for n in names], dtype=float))
    fig = new_figure((7.0, max(2.6, 1.2 + 0.22 * len(names))), fit=True)
    ax = fig.add_subplot()
    cmap = colormaps["magma"].with_extremes(bad="0.85")
    masked = np.ma.masked_invalid(grid)
    image = ax.imshow(masked, aspect="auto", cmap=cmap, interpolation="nearest")
    if not masked.count():
        no_data_text(ax)
    fig.colorbar(image, ax=ax, label="log10 gradient norm")
    steps = [p.get("step", i) for i, p in enumerate(probes)]
    ticks = np.unique(np.linspace(0, len(steps) - 1, min(8, len(steps))).astype(int))
    ax.set_xticks(ticks, [str(steps[i]) for i in ticks])
    every = max(1, math.ceil(len(names) / 20))
    ax.set_yticks(range(0, len(names), every), [_short(n) for n in names[::every]], fontsize=7)
    ax.set_xlabel("optimizer step (probed steps, unevenly spaced)")
    return panel(
        id,
        title,
        fig,
        "one row per layer weight (input side at the top), one column per probed step; "
        "grey: zero or non-finite",
    )


def activation_plot(probes: list[dict], activation: str | None) -> Plot:
    """Share of dead ReLU units and of saturated sigmoid/tanh units per module over time;
    a note instead when the model has neither."""
    id, title = "plot-activations", "Dead and saturated units"
    dead = layer_series(probes, "dead")
    sat = layer_series(probes, "saturated")
    if not dead and not sat:
        uses = f"this model uses {activation}" if activation else "none were found in the model"
        return empty(
            id,
            title,
            f"no ReLU, sigmoid or tanh layers ({uses}): dead/saturated shares do not apply",
        )
    parts = [(s, lab) for s, lab in ((dead, "dead ReLU units"), (sat, "saturated units")) if s]
    fig = new_figure((7.0, 3.6 if len(parts) == 1 else 5.4), fit=len(parts) > 1)
    steps = [p.get("step", i) for i, p in enumerate(probes)]
    for k, (series, label) in enumerate(parts):
        ax = fig.add_subplot(len(parts), 1, k + 1)
        n = len(series)
        for i, (name, ys) in enumerate(series.items()):
            ax.plot(
                steps,
                [100 * y for y in ys],
                color=_depth(i, n),
                label=_short(name),
                marker="." if len(steps) < 30 else None,
            )
        if not any_finite(v for ys in series.values() for v in ys):
            no_data_text(ax)
        ax.set_ylabel(f"% {label}", fontsize=8)
        ax.set_ylim(-2, 102)
        ax.grid(alpha=0.3)
        if n <= MAX_LEGEND:
            ax.legend(fontsize=7, ncols=2)
    fig.axes[-1].set_xlabel("optimizer step")
    return panel(
        id,
        title,
        fig,
        "dead: ReLU units that output zero for every sample of the probed batch; saturated: "
        "sigmoid/tanh outputs pinned at the tails. One line per activation module.",
    )


def _layer_lines(probes: list[dict], series: dict[str, list[float]], ylabel: str):
    steps = [p.get("step", i) for i, p in enumerate(probes)]
    fig = new_figure()
    ax = fig.add_subplot()
    ax.set_yscale("log")
    n = len(series)
    values = []
    for i, (name, ys) in enumerate(series.items()):
        ys = positive_or_nan(ys)
        values.extend(ys)
        ax.plot(
            steps,
            ys,
            color=_depth(i, n),
            lw=1.2,
            label=_short(name),
            marker="." if len(steps) < 30 else None,
        )
    if not any_finite(values):
        no_data_text(ax, "no positive finite values to plot")
    if n <= MAX_LEGEND:
        ax.legend(fontsize=7, ncols=2 if n > 4 else 1)
    else:  # a legend of dozens of layers would hide the plot; the colour bar reads as depth
        bar = fig.colorbar(
            ScalarMappable(Normalize(0, n - 1), _CMAP), ax=ax, label="layer depth (0 = input)"
        )
        bar.ax.tick_params(labelsize=7)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both", lw=0.4)
    return fig


def _depth(i: int, n: int):
    # viridis without its brightest yellow, which is hard to see on white
    return _CMAP(0.85 * i / max(1, n - 1))


def _short(name: str) -> str:
    return name.removesuffix(".weight")
