"""Shared fixtures of the data tests."""

from __future__ import annotations

import pytest

from trainwise.data.builtin import MNIST1D_CACHE_NAME, load_mnist1d_arrays


@pytest.fixture(scope="session")
def mnist1d_cache(tmp_path_factory):
    """A cache folder that holds MNIST-1D, generated once per test session (~3 s)."""
    folder = tmp_path_factory.mktemp("mnist1d_cache")
    load_mnist1d_arrays(folder)
    assert (folder / MNIST1D_CACHE_NAME).is_file()
    return folder
