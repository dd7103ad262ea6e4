"""Append one JSON line per epoch (loss, val_loss, metrics, lr, time) to a file."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from trainwise.callbacks.callback import Callback


def _jsonable(v):
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)  # JSON has no NaN/Inf; keep them readable
    return v


class MetricsLog(Callback):
    """Write ``metrics.jsonl``: one line per epoch, flushed and fsynced as it is written so a
    killed run loses at most the epoch in progress.

    Example::

        tw.fit(model, data, callbacks=[tw.callbacks.MetricsLog("runs/a/metrics.jsonl")])
    """

    order = -10  # after callbacks that change logs or LR

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def on_fit_start(self, trainer):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # on resume keep only the lines of epochs already done (a kill may leave a later one)
        keep = []
        if self.path.exists() and trainer.epoch > 0:
            for line in self.path.read_text().splitlines():
                try:
                    if json.loads(line).get("epoch", 0) <= trainer.epoch:
                        keep.append(line)
                except json.JSONDecodeError:
                    break
        self.path.write_text("".join(k + "\n" for k in keep))

    def on_epoch_end(self, trainer, epoch, logs):
        line = json.dumps({k: _jsonable(v) for k, v in logs.items()})
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
