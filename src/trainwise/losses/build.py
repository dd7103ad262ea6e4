"""Build the torch loss module a :class:`~trainwise.losses.config.LossConfig` describes."""

from __future__ import annotations

from torch import nn

from trainwise.losses.binary_label_smoothing import BinaryLabelSmoothing
from trainwise.losses.config import LossConfig
from trainwise.losses.flooding import Flooding
from trainwise.losses.from_probabilities import FromProbabilities
from trainwise.losses.names import canonical_loss_name, loss_input, loss_task

__all__ = ["build_loss", "canonical_loss_name", "loss_input", "loss_task"]


def build_loss(cfg: LossConfig | None = None) -> nn.Module:
    """A torch loss module with mean reduction, ``loss(output, target) -> scalar``.

    - mse -> ``nn.MSELoss``; mae -> ``nn.L1Loss``; huber -> ``nn.HuberLoss(delta)``
      (Keras' Huber: ``0.5 x^2`` inside delta, ``delta * (|x| - 0.5 delta)`` outside).
    - bce -> ``nn.BCELoss`` (probabilities), bce_with_logits -> ``nn.BCEWithLogitsLoss``;
      float targets of the output's shape; label smoothing via :class:`BinaryLabelSmoothing`.
    - cross_entropy / categorical_cross_entropy -> ``nn.CrossEntropyLoss(label_smoothing)``:
      integer class targets (N,) or one-hot/soft targets (N, C) respectively, logits in;
      with ``from_logits=False`` wrapped in :class:`FromProbabilities`.
    - ``flooding`` > 0 wraps the result in :class:`Flooding`.

    Defaults: ``LossConfig()`` (cross-entropy on logits, no smoothing, no flooding).

    Example::

        >>> import torch
        >>> loss = build_loss(LossConfig(name="mean_squared_error"))
        >>> float(loss(torch.tensor([1.0, 3.0]), torch.tensor([0.0, 0.0])))
        5.0
    """
    cfg = cfg or LossConfig()
    name = canonical_loss_name(cfg.name)
    kind = loss_input(name, cfg.from_logits)
    s = cfg.label_smoothing
    loss: nn.Module
    if name == "mse":
        loss = nn.MSELoss()
    elif name == "mae":
        loss = nn.L1Loss()
    elif name == "huber":
        loss = nn.HuberLoss(delta=cfg.delta)
    elif name in ("bce", "bce_with_logits"):
        loss = nn.BCEWithLogitsLoss() if kind == "logits" else nn.BCELoss()
        if s > 0:
            loss = BinaryLabelSmoothing(loss, s)
    else:  # cross_entropy, categorical_cross_entropy: same torch loss, target format differs
        loss = nn.CrossEntropyLoss(label_smoothing=s)
        if kind == "probabilities":
            loss = FromProbabilities(loss)
    if cfg.flooding:
        loss = Flooding(loss, cfg.flooding)
    return loss
