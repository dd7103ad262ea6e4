"""Progress display: a rich progress bar on a terminal, one line per epoch otherwise.

The bar is advanced every few batches rather than every batch: rich renders from its own
thread, but each ``update`` still takes a lock and a dict update (~10 us), which is measurable
against a 1 ms training step. The running loss it shows is read from the device at most once
per ``refresh`` seconds (time-based, not per step): on a GPU each read waits for the queued
kernels, so a per-step read would serialise host and device.
"""

from __future__ import annotations

import sys
import time

from trainwise.callbacks.callback import Callback


def format_logs(logs: dict) -> str:
    parts = []
    for k, v in logs.items():
        if k in ("epoch", "time"):
            continue
        if isinstance(v, float):
            parts.append(f"{k} {v:.4g}" if k != "lr" else f"lr {v:.3g}")
    return "  ".join(parts)


class Progress(Callback):
    """Show training progress.

    Args:
        mode: "auto" (bar on a terminal, epoch lines otherwise; default), "bar", "lines" or
            "off".
        every: advance the bar every this many batches (default 10).
        file: stream to write to (default stdout).
        refresh: seconds between reads of the running loss shown on the bar (default 1.0).

    Example::

        tw.fit(model, data, verbose=False, callbacks=[tw.callbacks.Progress("bar", refresh=2)])
    """

    order = -20
    _clock = staticmethod(time.monotonic)  # the refresh clock (a test sets its own)

    def __init__(self, mode: str = "auto", every: int = 10, file=None, refresh: float = 1.0):
        self.file = file or sys.stdout
        if mode == "auto":
            mode = "bar" if getattr(self.file, "isatty", lambda: False)() else "lines"
        self.mode, self.every = mode, max(1, every)
        self.refresh = refresh
        self._progress = None
        self._next_read = 0.0

    def on_fit_start(self, trainer):
        if self.mode != "bar":
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as RichProgress

        self._progress = RichProgress(
            TextColumn("epoch {task.fields[epoch]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[info]}"),
            console=Console(file=self.file),
            transient=False,
        )
        self._progress.start()
        total = trainer.epochs * len(trainer.train_batches)
        self._task = self._progress.add_task(
            "train", total=total, epoch=f"{trainer.epoch + 1}/{trainer.epochs}", info=""
        )
        self._progress.update(
            self._task, completed=trainer.epoch * len(trainer.train_batches) + trainer.start_batch
        )
        self._pending = 0
        self._seen = trainer.start_batch
        self._next_read = self._clock() + self.refresh

    def on_batch_end(self, trainer, step, loss, output, target):
        if self._progress is None:
            return
        # batches, not steps: with gradient accumulation one step covers several batches
        self._pending += trainer.batches_done - self._seen
        self._seen = trainer.batches_done
        if self._pending >= self.every:
            now = self._clock()
            if now >= self._next_read:  # the one mid-epoch host read, once per interval
                self._next_read = now + self.refresh
                running = trainer.train_metrics.running_loss()
                info = f"loss {running:.4g}" if running is not None else ""
                self._progress.update(self._task, advance=self._pending, info=info)
            else:
                self._progress.advance(self._task, self._pending)
            self._pending = 0

    def on_epoch_end(self, trainer, epoch, logs):
        if self._progress is not None:
            self._progress.update(
                self._task,
                advance=self._pending,
                epoch=f"{epoch + 1}/{trainer.epochs}",
                info=format_logs(logs),
            )
            self._pending = self._seen = 0
        elif self.mode == "lines":
            print(
                f"epoch {epoch + 1}/{trainer.epochs}  {format_logs(logs)}  ({logs['time']:.2f}s)",
                file=self.file,
                flush=True,
            )

    def on_fit_end(self, trainer):
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
