"""Curves of a comparison: per variant the mean over its trials (seeds or folds) per epoch,
with a band from the lowest to the highest trial, one colour per variant."""

from __future__ import annotations

import warnings

import numpy as np
from matplotlib.ticker import MaxNLocator

from trainwise.report.compare_data import CompareData, VariantData
from trainwise.report.curve_plots import main_metric
from trainwise.report.plot import Plot, empty, new_figure, no_data_text, panel
from trainwise.report.run_data import finite


def epoch_matrix(variant: VariantData, key: str) -> tuple[np.ndarray, np.ndarray]:
    """``(epochs, values)``: the epoch numbers 1..E and a trials x E array of ``key``, NaN
    where a trial stopped earlier (early stopping), lacks the key or has no metrics.

    >>> from trainwise.report.compare_data import TrialData
    >>> v = VariantData("a", {}, [TrialData("seed 0", "done", None,
    ...     metrics=[{"epoch": 1, "loss": 2.0}, {"epoch": 2, "loss": 1.0}])], {}, {}, {})
    >>> epoch_matrix(v, "loss")[1].tolist()
    [[2.0, 1.0]]
    """
    runs = [t.metrics for t in variant.trials if t.metrics]
    length = max((len(m) for m in runs), default=0)
    values = np.full((len(runs), length), np.nan)
    for i, rows in enumerate(runs):
        for j, row in enumerate(rows):
            values[i, j] = finite(row.get(key))
    return np.arange(1, length + 1), values


def band_plot(data: CompareData, key: str, id: str, title: str) -> Plot:
    """``key`` per epoch for every variant: mean line and min-max band over its trials."""
    fig = new_figure()
    ax = fig.add_subplot()
    drawn = False
    counts = set()
    for k, variant in enumerate(data.variants):
        epochs, values = epoch_matrix(variant, key)
        if not values.size or np.isnan(values).all():
            continue
        with warnings.catch_warnings():  # all-NaN columns (a diverged epoch) are gaps
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(values, axis=0)
            low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        color = f"C{k % 10}"
        ax.plot(epochs, mean, color=color, lw=1.8, label=f"{variant.name} (n={len(values)})")
        if len(values) > 1:
            ax.fill_between(epochs, low, high, color=color, alpha=0.18, lw=0)
        counts.add(len(values))
        drawn = True
    if not drawn:
        return empty(id, title, f"no trial logged {key} (no metrics.jsonl found under trials/)")
    if not np.isfinite(ax.get_ylim()).all():
        no_data_text(ax)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(key.replace("_", " "))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    unit = "folds" if data.folds else "seeds"
    return panel(
        id,
        title,
        fig,
        f"{key} per epoch: line = mean over {unit}, band = lowest to highest {unit[:-1]} "
        "(min-max), one colour per variant",
    )


def compare_plots(data: CompareData) -> list[Plot]:
    """Validation loss, the validation metric and training loss, overlaid per variant."""
    rows = [r for v in data.variants for t in v.trials for r in t.metrics or []]
    metric = main_metric(rows) or "accuracy"
    return [
        band_plot(data, "val_loss", "plot-cmp-val-loss", "Validation loss"),
        band_plot(data, f"val_{metric}", "plot-cmp-val-metric", f"Validation {metric}"),
        band_plot(data, "loss", "plot-cmp-train-loss", "Training loss"),
    ]
