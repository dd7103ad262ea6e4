"""The package's own error types.

Every error caused by user input (config, data, arguments, checkpoints) is a subclass of
:class:`TrainwiseError` *and* of the matching builtin (``ValueError`` or ``TypeError``), so
callers can catch either. The CLI turns any ``TrainwiseError`` into exit code 2 and a message,
never a traceback.
"""

from __future__ import annotations


class TrainwiseError(Exception):
    """Base class of every error trainwise raises on purpose."""


class ConfigError(TrainwiseError, ValueError):
    """A config value is unknown, of the wrong type or out of range.

    ``errors`` holds every problem found (all are reported together), each a string that
    names the field, the value and what is allowed.
    """

    def __init__(self, message: str, errors: list[str] | None = None):
        self.errors = list(errors) if errors else [message]
        super().__init__(message)


class ConfigTypeError(ConfigError, TypeError):
    """A config value or ``tw.fit`` argument has the wrong type (``"abc"`` for ``epochs``); a
    :class:`ConfigError` that ``except TypeError`` also catches."""


class DataError(TrainwiseError, ValueError):
    """The data cannot be used as given (empty, NaN, wrong labels, shapes that do not match)."""


class ModelError(TrainwiseError, ValueError):
    """The model cannot be built or does not fit the data (names the layer and shapes)."""


class CheckpointError(TrainwiseError, ValueError):
    """A checkpoint is missing, corrupted, or unsafe to load."""


class ArgumentTypeError(TrainwiseError, TypeError):
    """An argument to the Python API has the wrong type."""


class NotAvailableError(TrainwiseError, ValueError):
    """A feature was asked for that this version does not provide yet."""
