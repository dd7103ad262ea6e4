"""One panel of the report: a matplotlib figure embedded as a base64 PNG, or a note saying
why there is nothing to draw.

Figures are bare ``matplotlib.figure.Figure`` objects rendered by the Agg canvas: no pyplot,
so no window, no global state, and the caller's matplotlib backend is left alone (the same
choice as the LR finder's plot). PNG rather than SVG keeps a report with ~10 plots at a few
hundred kB and lets the browser test check "non-blank" from pixels.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass

from matplotlib.figure import Figure

#: Width and height in inches of one panel; at DPI pixels per inch.
SIZE = (7.0, 3.6)
DPI = 100


@dataclass
class Plot:
    """A panel: ``id`` (the HTML id, e.g. "plot-loss"), ``title``, ``caption``, and either
    ``uri`` (a ``data:image/png;base64,...`` URI) or ``note`` (why it is empty)."""

    id: str
    title: str
    caption: str = ""
    uri: str | None = None
    note: str | None = None


def new_figure(size: tuple[float, float] = SIZE, fit: bool = False) -> Figure:
    """A figure with fixed margins that fit one axes with ordinary tick labels; ``fit=True``
    lets matplotlib's constrained layout place everything (for long tick labels or stacked
    axes), which costs ~60% more time per plot (~0.08 s).

    >>> new_figure().get_size_inches().tolist()
    [7.0, 3.6]
    """
    if fit:
        return Figure(figsize=size, dpi=DPI, layout="constrained")
    fig = Figure(figsize=size, dpi=DPI)
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.13, top=0.96)
    return fig


def to_data_uri(fig: Figure) -> str:
    """The figure as a ``data:image/png;base64,...`` URI.

    >>> to_data_uri(new_figure())[:22]
    'data:image/png;base64,'
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def panel(id: str, title: str, fig: Figure, caption: str = "") -> Plot:
    """A :class:`Plot` holding ``fig`` as a PNG."""
    return Plot(id=id, title=title, caption=caption, uri=to_data_uri(fig))


def empty(id: str, title: str, note: str) -> Plot:
    """A :class:`Plot` with nothing to draw and the reason why."""
    return Plot(id=id, title=title, note=note)


def any_finite(values: Iterable[float]) -> bool:
    """True if any value is a finite number.

    >>> any_finite([float("nan"), None, 1.0]), any_finite([])
    (True, False)
    """
    return any(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def positive_or_nan(values: Iterable[float]) -> list[float]:
    """Values for a log axis: zero, negative and non-finite become NaN (a gap in the line)."""
    return [
        v if isinstance(v, (int, float)) and math.isfinite(v) and v > 0 else math.nan
        for v in values
    ]


def no_data_text(ax, text: str = "no finite values to plot") -> None:
    """Write ``text`` in the middle of an axes whose data are all NaN (e.g. a diverged run),
    so the panel says why it is flat instead of looking broken."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.4")
