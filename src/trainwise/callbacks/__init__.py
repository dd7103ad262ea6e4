"""Callbacks: hooks into the training loop (see :class:`Callback`)."""

from trainwise.callbacks.callback import Callback, CallbackList
from trainwise.callbacks.early_stopping import EarlyStopping
from trainwise.callbacks.metrics_log import MetricsLog
from trainwise.callbacks.monitor import Monitor
from trainwise.callbacks.progress import Progress
from trainwise.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau

__all__ = [
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "MetricsLog",
    "Monitor",
    "Progress",
    "ReduceLROnPlateau",
]
