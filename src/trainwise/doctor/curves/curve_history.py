"""The per-epoch logs the curve rules read: numbers only, in epoch order, JSON-able."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trainwise.errors import CheckpointError


class CurveHistory:
    """Keras-like epoch logs (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ``mse``,
    ``lr`` ...), one entry per epoch.

    Only finite numbers are kept: a NaN loss is the live rules' business, and a missing value
    simply leaves a gap. Recording an epoch again (a resumed run replaying it) drops that
    epoch and everything after it first, so the history always reads as one run.

    Example::

        >>> h = CurveHistory()
        >>> h.add(0, {"loss": 2.0, "val_loss": 2.1, "time": 1.2, "note": "x"}, step=10)
        >>> h.add(1, {"loss": 1.5, "val_loss": float("nan")}, step=20)
        >>> h.series("val_loss").tolist()
        [2.1, nan]
    """

    def __init__(self) -> None:
        self.epochs: list[int] = []
        self.steps: list[int | None] = []
        self.logs: list[dict[str, float]] = []

    def __len__(self) -> int:
        return len(self.epochs)

    def add(self, epoch: int, logs: dict[str, Any], step: int | None = None) -> None:
        """Record ``logs`` of the 0-based ``epoch`` (``step``: optimizer steps so far)."""
        while self.epochs and self.epochs[-1] >= epoch:
            self.epochs.pop()
            self.steps.pop()
            self.logs.pop()
        clean = {}
        for k, v in logs.items():
            if isinstance(v, (bool, str)):
                continue
            try:  # plain, numpy and one-element torch numbers all convert
                f = float(v)
            except (TypeError, ValueError):
                continue
            if math.isfinite(f):
                clean[str(k)] = f
        self.epochs.append(int(epoch))
        self.steps.append(None if step is None else int(step))
        self.logs.append(clean)

    def has(self, key: str) -> bool:
        """True when any epoch logged ``key``."""
        return any(key in row for row in self.logs)

    def series(self, key: str) -> np.ndarray:
        """``key`` over all epochs, NaN where an epoch did not log it."""
        return np.array([row.get(key, np.nan) for row in self.logs], dtype=float)

    def rows(self, *keys: str) -> np.ndarray:
        """Positions (0..len-1) of the epochs that logged every one of ``keys``."""
        return np.array(
            [i for i, row in enumerate(self.logs) if all(k in row for k in keys)], dtype=int
        )

    def first(self, key: str) -> float | None:
        """The first logged value of ``key`` (None if never logged)."""
        for row in self.logs:
            if key in row:
                return row[key]
        return None

    def last_value(self, key: str) -> float | None:
        """The latest logged value of ``key`` (None if never logged)."""
        for row in reversed(self.logs):
            if key in row:
                return row[key]
        return None

    def max_value(self, key: str) -> float | None:
        """The largest logged value of ``key`` (the peak LR of a schedule, say)."""
        vals = [row[key] for row in self.logs if key in row]
        return max(vals) if vals else None

    def when(self, pos: int) -> dict[str, int | None]:
        """``{"epoch": ..., "step": ...}`` of position ``pos``, as Finding fields."""
        return {"epoch": self.epochs[pos], "step": self.steps[pos]}

    def state_dict(self) -> dict[str, Any]:
        return {"epochs": list(self.epochs), "steps": list(self.steps), "logs": list(self.logs)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        try:
            epochs = [int(e) for e in state["epochs"]]
            steps = [None if s is None else int(s) for s in state["steps"]]
            logs = [{str(k): float(v) for k, v in row.items()} for row in state["logs"]]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CheckpointError(
                f"curve rules state: {exc!r}; expected a dict with lists 'epochs', 'steps' and "
                "'logs' (from CurveRules.state_dict())"
            ) from exc
        if not len(epochs) == len(steps) == len(logs):
            raise CheckpointError(
                f"curve rules state: 'epochs', 'steps' and 'logs' have lengths {len(epochs)}, "
                f"{len(steps)}, {len(logs)}; they must be equal"
            )
        self.epochs, self.steps, self.logs = epochs, steps, logs
