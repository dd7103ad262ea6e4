"""Losses: MSE, MAE, Huber, binary and categorical cross-entropy, label smoothing, flooding."""

from trainwise.losses.build import build_loss
from trainwise.losses.config import LossConfig
from trainwise.losses.flooding import Flooding
from trainwise.losses.names import canonical_loss_name, loss_input, loss_task

__all__ = ["Flooding", "LossConfig", "build_loss", "canonical_loss_name", "loss_input", "loss_task"]
