"""Optimizers (torch.optim behind Keras-like names), L1/L2 penalties, linear LR scaling."""

from trainwise.optim.build import build_optimizer
from trainwise.optim.config import OptimizerConfig
from trainwise.optim.lr_scaling import scaled_lr
from trainwise.optim.regularization import RegularizationConfig, WeightPenalty

__all__ = [
    "OptimizerConfig",
    "RegularizationConfig",
    "WeightPenalty",
    "build_optimizer",
    "scaled_lr",
]
