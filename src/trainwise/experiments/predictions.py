"""Predictions of trained models as probabilities, and their scores.

Shared by ensembles (which average these probabilities), cross-validation (out-of-fold
predictions) and the evaluation of fold models, so all three score a prediction the same way.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from trainwise.config.validate import make_section
from trainwise.errors import DataError
from trainwise.losses.config import LossConfig
from trainwise.losses.names import loss_input, loss_task
from trainwise.models.predict import predict_outputs
from trainwise.training.inputs import to_tensor
from trainwise.vocabulary import check_task

# log(0) is -inf: a single confident miss would make the log loss infinite. sklearn's
# log_loss clips the same way (at float eps); the cost is a bounded loss of at most -log(1e-7).
_EPS = 1e-7


def model_outputs(model: nn.Module, x, batch_size: int = 512, device: str = "cpu") -> torch.Tensor:
    """Raw outputs of ``model`` for ``x`` (an array or tensor) in eval mode, in batches of
    ``batch_size`` (default 512), as a float CPU tensor: ``x`` as the training loop reads it,
    then :func:`trainwise.models.predict.predict_outputs`.

    Example::

        >>> model_outputs(torch.nn.Linear(3, 2), torch.zeros(5, 3)).shape
        torch.Size([5, 2])
    """
    return predict_outputs(model, to_tensor(x, "x"), batch_size, device)


def to_probabilities(outputs: torch.Tensor, task: str, from_logits: bool = True) -> torch.Tensor:
    """What gets averaged across models: softmax over classes (N, C) for "classification",
    the positive-class probability (N,) for "binary" (sigmoid of a logit, or the output itself
    when ``from_logits=False``), the raw values for "regression".

    Example::

        >>> to_probabilities(torch.tensor([[0.0, 0.0]]), "classification").tolist()
        [[0.5, 0.5]]
        >>> to_probabilities(torch.tensor([[0.0]]), "binary").tolist()
        [0.5]
    """
    check_task(task)
    if task == "regression":
        return outputs.float()
    if task == "binary":
        flat = outputs.reshape(len(outputs), -1)[:, 0].float()
        return torch.sigmoid(flat) if from_logits else flat
    if outputs.ndim != 2:
        raise DataError(
            f"outputs: shape {tuple(outputs.shape)} for classification; allowed: (N, classes)"
        )
    return torch.softmax(outputs.float(), dim=1) if from_logits else outputs.float()


def to_labels(probs: torch.Tensor, task: str) -> torch.Tensor:
    """Hard predictions: argmax class, ``p > 0.5`` for binary, the values for regression."""
    check_task(task)
    if task == "classification":
        return probs.argmax(dim=1)
    if task == "binary":
        return (probs > 0.5).long()
    return probs


def score_predictions(probs: torch.Tensor, y, task: str) -> dict[str, float]:
    """Scores of predictions from :func:`to_probabilities` against targets ``y``.

    "classification" and "binary": ``accuracy`` and ``log_loss`` (the negative log-likelihood
    of the true class, probabilities clipped to [1e-7, 1 - 1e-7]); "regression": ``mse`` and
    ``mae`` (mean over samples of the mean over output columns, as the training metrics).
    One-hot targets (N, C) are taken by their argmax.

    Example::

        >>> p = torch.tensor([[0.9, 0.1], [0.2, 0.8]])
        >>> score_predictions(p, torch.tensor([0, 0]), "classification")["accuracy"]
        0.5
    """
    check_task(task)
    y = to_tensor(y, "y", target=True)
    n = len(probs)
    if len(y) != n:
        raise DataError(f"y: {len(y)} targets for {n} predictions; allowed: one per prediction")
    if task == "regression":
        diff = probs.reshape(n, -1).float() - y.reshape(n, -1).float()
        return {
            "mse": float(diff.pow(2).mean(dim=1).mean()),
            "mae": float(diff.abs().mean(dim=1).mean()),
        }
    if task == "binary":
        target = y.reshape(n, -1)[:, 0].float()
        p = probs.clamp(_EPS, 1 - _EPS)
        return {
            "accuracy": float(((p > 0.5).float() == target.round()).float().mean()),
            "log_loss": float(F.binary_cross_entropy(p, target.round())),
        }
    target = y if y.ndim == 1 else y.argmax(dim=1)
    target = target.long()
    return {
        "accuracy": float((probs.argmax(dim=1) == target).float().mean()),
        "log_loss": float(F.nll_loss(torch.log(probs.clamp(_EPS, 1.0)), target)),
    }


def output_semantics(loss=None) -> tuple[str | None, bool]:
    """``(task, from_logits)`` of a model trained with ``loss``: a loss name, a dict of
    LossConfig fields or a LossConfig read as ``tw.fit`` reads them (default
    "cross_entropy"); a loss module gives ``(None, True)`` (the task must then come from the
    targets).

    Example::

        >>> output_semantics("binary_crossentropy"), output_semantics("mse")
        (('binary', False), ('regression', True))
    """
    if loss is None:
        loss = "cross_entropy"
    if not isinstance(loss, (str, dict, LossConfig)):
        return None, True
    if not isinstance(loss, LossConfig):
        loss = make_section(LossConfig, {"name": loss} if isinstance(loss, str) else loss, "loss")
    return loss_task(loss.name), loss_input(loss.name, loss.from_logits) != "probabilities"
