"""Shared fixtures of the preflight tests: built-in datasets with seeded faults, loaded once.

Test modules cannot import this file under ``--import-mode=importlib``; they get the loader
through the ``bundle`` fixture.
"""

from __future__ import annotations

import functools

import pytest

from trainwise.data.config import DataConfig, FaultConfig
from trainwise.data.load import load_data


@functools.lru_cache(maxsize=64)
def _load(name: str, standardize: str, seed: int, faults: tuple):
    fc = {k: list(v) if isinstance(v, tuple) else v for k, v in faults}
    cfg = DataConfig(name=name, standardize=standardize, faults=FaultConfig(**fc))
    return load_data(cfg, seed=seed)


@pytest.fixture(scope="session")
def bundle():
    """``bundle(name, standardize="auto", seed=0, **faults)`` -> a cached DataBundle.

    MNIST-1D comes from the default cache folder (generated there once, ~3 s, if missing).
    """

    def load(name: str, standardize: str = "auto", seed: int = 0, **faults):
        items = ((k, tuple(v) if isinstance(v, list) else v) for k, v in faults.items())
        return _load(name, standardize, seed, tuple(sorted(items)))

    return load
