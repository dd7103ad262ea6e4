"""The LR finder's curve, drawn from lr_find.json (``trainwise lr-find --out <run dir>``)."""

from __future__ import annotations

from typing import Any

from trainwise.report.plot import Plot, empty, new_figure, panel
from trainwise.training.lr_find_figure import draw_lr_find, has_learning_rates


def lr_find_plot(data: dict[str, Any]) -> Plot:
    """Raw and smoothed loss against the LR (log x), each suggestion a vertical line, the
    suggested LR in black; the diverging tail is cut from the y range (the figure of
    :func:`trainwise.training.lr_find_figure.draw_lr_find`, as ``LRFindResult.plot`` saves it).

    Example::

        lr_find_plot(json.loads(Path("runs/x/lr_find.json").read_text()))
    """
    id, title = "plot-lr-find", "LR finder"
    if not has_learning_rates(data):
        return empty(id, title, "lr_find.json holds no learning rates")
    fig = draw_lr_find(new_figure(), data)
    caption = str(data.get("message") or "loss while the LR grows exponentially")
    return panel(id, title, fig, caption)
