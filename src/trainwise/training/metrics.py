"""Running metrics: accuracy for classification, MSE and MAE for regression.

Accumulated as tensors on the step and read once per epoch (all values in one transfer: see
:func:`read_scalars`), so the hot path has no ``.item()`` (each would cost a host sync on a
GPU and a Python float round trip on CPU). :meth:`RunningMetrics.running_loss` is the one
mid-epoch read, made by the progress bar at its time-based refresh.
"""

from __future__ import annotations

from typing import Any

import torch

from trainwise.errors import ConfigError
from trainwise.vocabulary import check_task


class RunningMetrics:
    """Sums of loss and metrics over an epoch.

    Args:
        task: "classification" (logits, int targets), "binary" (one output per sample: a logit
            when ``from_logits`` else a probability) or "regression".
        names: metric names to track; default accuracy for classification/binary, mse and mae
            for regression.

    Example::

        m = RunningMetrics("classification")
        m.update(torch.tensor(0.5), torch.tensor([[2., 1.]]), torch.tensor([0]))
        m.compute()  # {'loss': 0.5, 'accuracy': 1.0}
    """

    def __init__(self, task: str, names: list[str] | None = None, from_logits: bool = True):
        check_task(task)
        default = ["accuracy"] if task != "regression" else ["mse", "mae"]
        self.names = list(default if names is None else names)
        allowed = {"accuracy"} if task != "regression" else {"mse", "mae"}
        bad = [n for n in self.names if n not in allowed]
        if bad:
            raise ConfigError(
                f"metrics: {bad[0]!r} does not apply to {task}; allowed: {', '.join(sorted(allowed))}"
            )
        self.task = task
        self.threshold = 0.0 if from_logits else 0.5
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.sums: dict[str, torch.Tensor | float] = {"loss": 0.0, **{n: 0.0 for n in self.names}}

    @torch.no_grad()
    def update(self, loss: torch.Tensor, output: torch.Tensor, target: torch.Tensor) -> None:
        n = target.shape[0]
        self.count += n
        s = self.sums
        s["loss"] = s["loss"] + loss.detach().float() * n
        if "accuracy" in s:
            if self.task == "classification":
                pred = output.argmax(dim=1)
                tgt = target if target.dim() == 1 else target.argmax(dim=1)  # one-hot targets
            else:
                pred = (output.reshape(n, -1)[:, 0] > self.threshold).long()
                tgt = target.reshape(n, -1)[:, 0].round().long()
            s["accuracy"] = s["accuracy"] + (pred == tgt).sum()
        if "mse" in s or "mae" in s:
            diff = output.reshape(n, -1).float() - target.reshape(n, -1).float()
            if "mse" in s:
                s["mse"] = s["mse"] + diff.pow(2).mean(dim=1).sum()
            if "mae" in s:
                s["mae"] = s["mae"] + diff.abs().mean(dim=1).sum()

    def running_loss(self) -> float | None:
        """The mean loss so far this epoch (one host read; None before the first batch)."""
        return float(self.sums["loss"]) / self.count if self.count else None

    def compute(self) -> dict[str, float]:
        """The epoch's means (one host read for all of them; ``{}`` before any update)."""
        return self.compute_with({})[0]

    def compute_with(self, extra: dict[str, Any]) -> tuple[dict[str, float], dict[str, Any]]:
        """:meth:`compute`, plus ``extra`` values (tensors or numbers) read in the same host
        transfer: the trainer's grad-norm sums and skipped-step count ride along, so an epoch
        costs one device sync rather than one per value."""
        read = read_scalars({**{f"sum.{k}": v for k, v in self.sums.items()}, **extra})
        logs = {k: read[f"sum.{k}"] / self.count for k in self.sums} if self.count else {}
        return logs, {k: read[k] for k in extra}


def read_scalars(values: dict[str, Any]) -> dict[str, Any]:
    """Read every one-element tensor of ``values`` to a Python float with a single host
    transfer; other values (numbers) pass through.

    float64 holds every float32 and every integer count below 2**53 exactly, so each value is
    bit for bit what ``float(tensor)`` gives.

    Example::

        >>> read_scalars({"a": torch.tensor(0.5), "b": torch.tensor(3), "c": 2})
        {'a': 0.5, 'b': 3.0, 'c': 2}
    """
    keys = [k for k, v in values.items() if isinstance(v, torch.Tensor)]
    out = dict(values)
    if keys:
        stacked = torch.stack([values[k].detach().reshape(()).double() for k in keys])
        out.update(zip(keys, stacked.tolist()))
    return out
