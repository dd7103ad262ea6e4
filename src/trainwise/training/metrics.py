"""Running metrics: accuracy for classification, MSE and MAE for regression.

Accumulated as tensors on the step and read once per epoch, so the hot path has no ``.item()``
(each would cost a host sync on a GPU and a Python float round trip on CPU).
"""

from __future__ import annotations

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

    def compute(self) -> dict[str, float]:
        if self.count == 0:
            return {}
        return {k: float(v) / self.count for k, v in self.sums.items()}
