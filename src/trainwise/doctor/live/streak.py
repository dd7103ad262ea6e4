"""Persistence: a symptom counts only when it shows on several consecutive observations."""

from __future__ import annotations

from typing import Any


class Streak:
    """Counts consecutive hits and remembers where the run of hits began (the onset).

    Example::

        >>> s = Streak(need=2)
        >>> s.update(True, step=4, epoch=0), s.update(True, step=6, epoch=0), s.since_step
        (False, True, 4)
    """

    def __init__(self, need: int):
        self.need = need
        self.count = 0
        self.since_step: int | None = None
        self.since_epoch: int | None = None

    def update(self, hit: bool, step: int, epoch: int) -> bool:
        """Record one observation; True once ``need`` hits in a row are reached."""
        if not hit:
            self.count = 0
            self.since_step = self.since_epoch = None
            return False
        if self.count == 0:
            self.since_step, self.since_epoch = step, epoch
        self.count += 1
        return self.count >= self.need

    def state_dict(self) -> dict[str, Any]:
        return {"count": self.count, "since_step": self.since_step, "since_epoch": self.since_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.count = int(state["count"])
        self.since_step = state["since_step"]
        self.since_epoch = state["since_epoch"]
