"""The per-epoch curves of one run (loss, accuracy or the regression metric) and its LR
schedule."""

from __future__ import annotations

import math

from matplotlib.ticker import MaxNLocator

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

#: The metric shown beside the loss, in order of preference (classification, regression).
METRICS = ("accuracy", "mae", "mse")

_TRAIN, _VAL, _EMA = "C0", "C1", "C2"


def main_metric(rows: list[dict]) -> str | None:
    """The metric the curves show: accuracy, else mae, else mse (with or without ``val_``).

    >>> main_metric([{"loss": 1, "val_mae": 2}])
    'mae'
    """
    keys = {k.removeprefix("val_") for row in rows for k in row}
    return next((m for m in METRICS if m in keys), None)


def best_epoch(run: RunData) -> int | None:
    """The best epoch (1-based): summary.json's, else the epoch of the lowest finite
    val_loss (else loss)."""
    if run.summary is not None and isinstance(run.summary.get("best_epoch"), int):
        return run.summary["best_epoch"]
    rows = run.metrics or []
    key = "val_loss" if any("val_loss" in r for r in rows) else "loss"
    scored = [(finite(r.get(key)), r.get("epoch", i + 1)) for i, r in enumerate(rows)]
    scored = [(v, e) for v, e in scored if math.isfinite(v)]
    return min(scored)[1] if scored else None


def metric_curve_plot(run: RunData, metric: str, id: str, title: str) -> Plot:
    """``metric`` and ``val_<metric>`` per epoch (``ema_val_<metric>`` dashed if logged), with
    the best epoch marked. Non-finite values are gaps."""
    rows = run.metrics or []
    if not rows:
        return empty(id, title, run.notes.get("metrics", "no epochs logged yet"))
    epochs = [r.get("epoch", i + 1) for i, r in enumerate(rows)]
    fig = new_figure()
    ax = fig.add_subplot()
    series = [
        (metric, "train", _TRAIN, "-"),
        (f"val_{metric}", "validation", _VAL, "-"),
        (f"ema_val_{metric}", "validation (EMA weights)", _EMA, "--"),
    ]
    drawn = []
    for key, label, color, ls in series:
        if any(key in r for r in rows):
            ys = [finite(r.get(key)) for r in rows]
            ax.plot(
                epochs, ys, color=color, ls=ls, marker="." if len(rows) < 40 else None, label=label
            )
            drawn.extend(ys)
    best = best_epoch(run)
    caption = f"{metric} per epoch"
    if best is not None:
        ax.axvline(best, color="0.3", ls=":", lw=1, label=f"best epoch ({best})")
        caption += f"; dotted line: best epoch {best} (lowest validation loss)"
    if not any_finite(drawn):
        no_data_text(ax, f"no finite {metric} values (the run diverged?)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric.replace("_", " "))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return panel(id, title, fig, caption)


def loss_plot(run: RunData) -> Plot:
    """Train and validation loss per epoch."""
    return metric_curve_plot(run, "loss", "plot-loss", "Loss")


def metric_plot(run: RunData) -> Plot:
    """Accuracy (classification) or MAE/MSE (regression) per epoch."""
    metric = main_metric(run.metrics or [])
    if metric is None:
        return empty("plot-metric", "Metric", "no accuracy, mae or mse in metrics.jsonl")
    title = {"accuracy": "Accuracy", "mae": "Mean absolute error", "mse": "Mean squared error"}
    return metric_curve_plot(run, metric, "plot-metric", title[metric])


def lr_plot(run: RunData) -> Plot:
    """The LR of every optimizer step (lr_steps.json), else per epoch (metrics.jsonl); log
    scale when it spans more than a decade."""
    id, title = "plot-lr", "Learning rate"
    if run.lr_steps:
        xs, ys, unit = list(range(len(run.lr_steps))), run.lr_steps, "optimizer step"
        caption = "LR of every optimizer step (lr_steps.json)"
    elif run.metrics and any("lr" in r for r in run.metrics):
        xs = [r.get("epoch", i + 1) for i, r in enumerate(run.metrics)]
        ys, unit = [finite(r.get("lr")) for r in run.metrics], "epoch"
        caption = "LR at the end of each epoch (" + run.notes.get("lr_steps", "") + ")"
    else:
        return empty(id, title, "no lr_steps.json and no lr in metrics.jsonl")
    fig = new_figure()
    ax = fig.add_subplot()
    pos = [v for v in positive_or_nan(ys) if math.isfinite(v)]
    if pos and max(pos) > 10 * min(pos):
        ax.set_yscale("log")
        ys = positive_or_nan(ys)
    ax.plot(xs, ys, color=_TRAIN, lw=1.5)
    if not any_finite(ys):
        no_data_text(ax)
    elif pos and max(pos) == min(pos):  # a constant LR: show it against zero, not a 1e-5 zoom
        ax.set_ylim(0, 1.5 * pos[0])
    ax.set_xlabel(unit)
    ax.set_ylabel("learning rate")
    ax.grid(alpha=0.3)
    return panel(id, title, fig, caption)
