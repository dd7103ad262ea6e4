"""Ensembles: average the predictions of several trained models (seeds or folds).

Averaging probabilities (not logits, not votes) is the usual choice: it keeps each member's
confidence, and by Jensen's inequality the log loss of the average is never worse than the
mean log loss of the members. Accuracy has no such guarantee, but with members that err on
different samples it is usually higher than the members' mean. Cost: one forward pass per
member per prediction.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from trainwise.errors import ArgumentTypeError
from trainwise.experiments.predictions import (
    check_task,
    model_outputs,
    score_predictions,
    to_labels,
    to_probabilities,
)


class Ensemble:
    """Several trained models answering as one.

    Args:
        models: trained ``nn.Module`` s with the same outputs (at least one).
        task: "classification" (softmax probabilities are averaged; the default), "binary"
            (sigmoid probabilities of the one output) or "regression" (raw outputs).
        from_logits: whether the models output logits (default True); False for models that
            end in a softmax/sigmoid already.
        batch_size: samples per forward pass (default 512). device: default "cpu".

    Example::

        >>> import torch
        >>> members = [torch.nn.Linear(4, 3) for _ in range(3)]
        >>> ens = Ensemble(members, "classification")
        >>> ens.predict_proba(torch.randn(5, 4)).shape
        torch.Size([5, 3])
        >>> ens.predict(torch.randn(5, 4)).shape
        torch.Size([5])
    """

    def __init__(
        self,
        models: Sequence[nn.Module],
        task: str = "classification",
        *,
        from_logits: bool = True,
        batch_size: int = 512,
        device: str = "cpu",
    ):
        if isinstance(models, nn.Module) or not isinstance(models, Sequence):
            raise ArgumentTypeError(
                f"models: expected a list of torch.nn.Module, got {type(models).__name__}"
            )
        if len(models) == 0:
            raise ArgumentTypeError("models: the list is empty; allowed: at least one model")
        for i, m in enumerate(models):
            if not isinstance(m, nn.Module):
                raise ArgumentTypeError(
                    f"models[{i}]: expected a torch.nn.Module, got {type(m).__name__}"
                )
        self.models = list(models)
        self.task = check_task(task)
        self.from_logits = from_logits
        self.batch_size = batch_size
        self.device = device

    def __len__(self) -> int:
        return len(self.models)

    def member_probabilities(self, x) -> list[torch.Tensor]:
        """Each member's probabilities (values for regression) for ``x``, in member order."""
        return [
            to_probabilities(
                model_outputs(m, x, self.batch_size, self.device), self.task, self.from_logits
            )
            for m in self.models
        ]

    def predict_proba(self, x) -> torch.Tensor:
        """The members' mean probabilities: (N, C) for classification, (N,) of the positive
        class for binary, the mean outputs for regression."""
        return torch.stack(self.member_probabilities(x)).mean(dim=0)

    def predict(self, x) -> torch.Tensor:
        """Class indices (classification), 0/1 (binary) or mean values (regression)."""
        return to_labels(self.predict_proba(x), self.task)

    def evaluate(self, x, y) -> dict[str, float]:
        """The ensemble's scores: accuracy and log_loss, or mse and mae for regression (see
        :func:`trainwise.experiments.predictions.score_predictions`)."""
        return score_predictions(self.predict_proba(x), y, self.task)

    def evaluate_members(self, x, y) -> list[dict[str, float]]:
        """Each member's scores on ``(x, y)``, to compare with :meth:`evaluate`."""
        return [score_predictions(p, y, self.task) for p in self.member_probabilities(x)]
