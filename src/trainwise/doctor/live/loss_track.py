"""The training loss as the live rules need it: its start, its recent values, bounded memory."""

from __future__ import annotations

import math
import statistics
from collections import deque
from typing import Any


class LossTrack:
    """Per-step losses: the first :attr:`HEAD` finite ones (the run's own starting level) and
    the last ``recent`` (default 64) ``(step, loss)`` pairs, so memory and checkpoint size stay
    bounded however long the run.

    Example::

        >>> t = LossTrack()
        >>> for s, v in enumerate([2.0, 2.1, 1.9, 2.0, 2.0, 1.0]): t.add(s, v)
        >>> t.start(), t.recent_median(2)
        (2.0, 1.5)
    """

    HEAD = 5  # losses that define the starting level (median: robust to one odd batch)

    def __init__(self, recent: int = 64):
        self.head: list[float] = []
        self.recent: deque[tuple[int, float]] = deque(maxlen=recent)
        self.count = 0  # finite losses seen
        self.nonfinite = 0

    def add(self, step: int, loss: float) -> None:
        self.recent.append((step, loss))
        if math.isfinite(loss):
            self.count += 1
            if len(self.head) < self.HEAD:
                self.head.append(loss)
        else:
            self.nonfinite += 1

    def start(self) -> float | None:
        """Median of the first finite losses (None before any)."""
        return statistics.median(self.head) if self.head else None

    def finite_recent(self, n: int) -> list[tuple[int, float]]:
        out = [(s, v) for s, v in self.recent if math.isfinite(v)]
        return out[-n:]

    def recent_median(self, n: int) -> float | None:
        vals = [v for _, v in self.finite_recent(n)]
        return statistics.median(vals) if vals else None

    def trend(self, n: int) -> tuple[float, float] | None:
        """Least-squares line through the last ``n`` finite losses: ``(drop, se)``, the fall
        it predicts from the first to the last of them and its standard error (None with
        fewer than 8 points)."""
        pts = self.finite_recent(n)
        if len(pts) < 8:
            return None
        k = len(pts)
        xs = [s for s, _ in pts]
        ys = [v for _, v in pts]
        mx, my = sum(xs) / k, sum(ys) / k
        sxx = sum((x - mx) ** 2 for x in xs)
        if sxx == 0:
            return None
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
        resid = sum((y - my - slope * (x - mx)) ** 2 for x, y in zip(xs, ys))
        se = math.sqrt(resid / (k - 2) / sxx)
        span = xs[-1] - xs[0]
        return -slope * span, se * span

    def first_step_above(self, level: float, n: int) -> int | None:
        """The first step among the last ``n`` finite losses whose loss exceeded ``level``."""
        return next((s for s, v in self.finite_recent(n) if v > level), None)

    def state_dict(self) -> dict[str, Any]:
        return {
            "head": list(self.head),
            "recent": [[s, v if math.isfinite(v) else str(v)] for s, v in self.recent],
            "count": self.count,
            "nonfinite": self.nonfinite,
            "maxlen": self.recent.maxlen,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.head = [float(v) for v in state["head"]]
        self.recent = deque(
            ((int(s), float(v)) for s, v in state["recent"]), maxlen=state.get("maxlen", 64)
        )
        self.count = int(state["count"])
        self.nonfinite = int(state.get("nonfinite", 0))
