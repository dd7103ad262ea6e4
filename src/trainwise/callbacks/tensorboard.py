"""TensorBoard event files: scalars per epoch and per step, histograms, the model graph."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from trainwise import run_files
from trainwise.callbacks.callback import Callback
from trainwise.errors import ConfigError, NotAvailableError
from trainwise.models.modes import evaluating


def _summary_writer():
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # torch imports the tensorboard package lazily here
        raise NotAvailableError(
            "callbacks.tensorboard: the 'tensorboard' package is not installed; "
            "pip install tensorboard"
        ) from None
    return SummaryWriter


class TensorBoard(Callback):
    """Write TensorBoard logs with ``torch.utils.tensorboard.SummaryWriter``.

    Everything is plotted against the optimizer step (``trainer.global_step``), epoch values
    included, so a resumed run can purge what the killed run wrote after its checkpoint
    (``SummaryWriter(purge_step=...)``) and the curves join without duplicates.

    Tags:
        ``epoch/<key>`` for every number in the epoch logs (loss, val_loss, accuracy, lr,
        grad_norm, ...); ``step/loss`` and ``step/lr`` every ``log_every_steps`` steps (the LR
        the step used, from ``trainer.lr_steps``); ``weights/<param>`` and
        ``gradients/<param>`` histograms every ``histogram_every_epochs`` epochs (gradients of
        the epoch's last step); the model graph, traced once on the first training batch.

    Args:
        log_dir: where the event files go (default None: ``<run dir>/tensorboard``, which
            needs ``tw.fit(out_dir=...)``).
        log_every_steps: per-step scalars every N steps (default 1; None: off). Cost: one
            ``loss.item()`` (a host sync on a GPU) and two small writes per logged step.
        histogram_every_epochs: histograms every N epochs (default 1; None: off). Cost: one
            pass over all parameters and gradients (copied to the CPU).
        graph: trace and write the model graph once (default True); a model that cannot be
            traced (data-dependent control flow, ...) gives a warning, not an error.

    Example::

        tw.fit(model, (x, y), epochs=3, out_dir="runs/a",
               callbacks=[tw.callbacks.TensorBoard(histogram_every_epochs=2)])
        # tensorboard --logdir runs/a/tensorboard
    """

    order = -10  # like MetricsLog: after callbacks that change logs or the LR

    def __init__(
        self,
        log_dir: str | Path | None = None,
        log_every_steps: int | None = 1,
        histogram_every_epochs: int | None = 1,
        graph: bool = True,
    ):
        for name, value in (
            ("log_every_steps", log_every_steps),
            ("histogram_every_epochs", histogram_every_epochs),
        ):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ConfigError(
                    f"callbacks.tensorboard.{name}: {value!r} is not allowed; must be an "
                    "integer >= 1 or None (off)"
                )
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self.log_every_steps = log_every_steps
        self.histogram_every_epochs = histogram_every_epochs
        self.graph = graph
        self.writer = None
        self._graph_pending = False

    def on_fit_start(self, trainer):
        log_dir = self.log_dir
        if log_dir is None:
            if getattr(trainer, "run_dir", None) is None:
                raise ConfigError(
                    "callbacks.tensorboard: log_dir is None and the run has no directory; "
                    "give TensorBoard(log_dir=...) or tw.fit(out_dir=...)"
                )
            log_dir = Path(trainer.run_dir) / run_files.TENSORBOARD_DIR
        self.resolved_dir = log_dir
        # on resume, hide what the earlier process wrote after the checkpoint it resumes from
        # (its events up to and including that step were written before the checkpoint)
        purge = trainer.global_step + 1 if trainer.global_step > 0 else None
        self.writer = _summary_writer()(str(log_dir), purge_step=purge)
        self._graph_pending = self.graph and trainer.global_step == 0

    def on_batch_start(self, trainer, step, batch):
        if self._graph_pending:
            self._graph_pending = False
            self._add_graph(trainer.model, batch[0])

    def _add_graph(self, model, xb) -> None:
        # Tracing runs the model: in eval mode (no dropout draw, no BatchNorm update) and with
        # the RNG forked, so logging the graph leaves training bit for bit unchanged.
        devices = [xb.device] if xb.device.type == "cuda" else []
        try:
            with torch.random.fork_rng(devices=devices), evaluating(model):
                with warnings.catch_warnings():
                    # add_graph is built on torch.jit.trace, which newer torch marks deprecated
                    warnings.simplefilter("ignore", DeprecationWarning)
                    self.writer.add_graph(model, xb[:1])
        except Exception as exc:  # any tracing failure: the graph is optional
            warnings.warn(
                f"TensorBoard: could not trace the model graph ({type(exc).__name__}: {exc}); "
                "scalars and histograms are still written",
                stacklevel=2,
            )

    def on_batch_end(self, trainer, step, loss, output, target):
        every = self.log_every_steps
        gs = trainer.global_step
        if every and gs % every == 0:
            self.writer.add_scalar("step/loss", float(loss.detach()), gs)
            self.writer.add_scalar("step/lr", trainer.lr_steps[-1], gs)

    def on_epoch_end(self, trainer, epoch, logs):
        w, gs = self.writer, trainer.global_step
        for key, value in logs.items():
            if key != "epoch" and isinstance(value, (int, float)) and not isinstance(value, bool):
                w.add_scalar(f"epoch/{key}", value, gs)
        every = self.histogram_every_epochs
        if every and (epoch + 1) % every == 0:
            for name, p in trainer.model.named_parameters():
                self._histogram(f"weights/{name}", p, gs)
                if p.grad is not None:
                    self._histogram(f"gradients/{name}", p.grad, gs)
        w.flush()

    def _histogram(self, tag: str, tensor: torch.Tensor, step: int) -> None:
        values = tensor.detach().float().cpu()
        # a histogram of NaN/Inf values is an error in tensorboard; the loop reports those
        if torch.isfinite(values).all():
            self.writer.add_histogram(tag, values, step)

    def on_fit_end(self, trainer):
        if self.writer is not None:
            self.writer.close()
            self.writer = None
