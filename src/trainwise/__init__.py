"""trainwise: neural-network training tricks behind one Keras-like interface for PyTorch.

Example::

    import trainwise as tw
    result = tw.fit(model, (x, y), validation_split=0.2, epochs=10)

Heavy submodules load on first use (PEP 562 ``__getattr__``), so ``import trainwise`` and the
CLI's ``--help`` stay fast.
"""

from __future__ import annotations

import importlib

from trainwise.errors import (
    ArgumentTypeError,
    CheckpointError,
    ConfigError,
    DataError,
    ModelError,
    NotAvailableError,
    TrainwiseError,
)

__version__ = "0.1.0"

_LAZY = {
    "fit": ("trainwise.training.fit", "fit"),
    "FitResult": ("trainwise.training.fit_result", "FitResult"),
    "callbacks": ("trainwise.callbacks", None),
    "Doctor": ("trainwise.doctor", "Doctor"),
    "load_config": ("trainwise.run.schema", "load_config"),
    "cross_validate": ("trainwise.experiments.cross_validation.cross_validate", "cross_validate"),
    "CVResult": ("trainwise.experiments.cross_validation.cross_validate", "CVResult"),
    "compare": ("trainwise.experiments.comparison.compare", "compare"),
    "CompareResult": ("trainwise.experiments.comparison.compare", "CompareResult"),
    "Ensemble": ("trainwise.experiments.ensemble", "Ensemble"),
    "lr_find": ("trainwise.training.lr_finder", "lr_find"),
    "LRFindResult": ("trainwise.training.lr_finder", "LRFindResult"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'trainwise' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


__all__ = [
    "ArgumentTypeError",
    "CheckpointError",
    "ConfigError",
    "CVResult",
    "CompareResult",
    "compare",
    "Ensemble",
    "DataError",
    "Doctor",
    "FitResult",
    "ModelError",
    "NotAvailableError",
    "TrainwiseError",
    "__version__",
    "callbacks",
    "cross_validate",
    "fit",
    "load_config",
    "LRFindResult",
    "lr_find",
]
