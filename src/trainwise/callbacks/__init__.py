"""Callbacks: hooks into the training loop (see :class:`Callback`)."""

from trainwise.callbacks.callback import Callback, CallbackList
from trainwise.callbacks.early_stopping import EarlyStopping
from trainwise.callbacks.ema import EMA
from trainwise.callbacks.metrics_log import MetricsLog
from trainwise.callbacks.model_checkpoint import ModelCheckpoint
from trainwise.callbacks.monitor import Monitor
from trainwise.callbacks.progress import Progress
from trainwise.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from trainwise.callbacks.tensorboard import TensorBoard

__all__ = [
    "Callback",
    "CallbackList",
    "EMA",
    "EarlyStopping",
    "MetricsLog",
    "ModelCheckpoint",
    "Monitor",
    "Progress",
    "ReduceLROnPlateau",
    "TensorBoard",
]
