"""The GPU tests: marked ``gpu`` and skipped, at collection, on a machine where torch sees no
CUDA device, so plain ``pytest`` (``make test``) passes over them in milliseconds. ``make
test-gpu`` runs them on a GPU machine (with a CUDA build of torch).

cuBLAS needs ``CUBLAS_WORKSPACE_CONFIG`` set before its first use for deterministic
algorithms (the exact-resume test); setting it here, before any test touches CUDA, is the
documented way and costs nothing elsewhere.
"""

from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

NO_CUDA = "needs a CUDA GPU (torch.cuda.is_available() is False); run with `make test-gpu`"


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    cuda = torch.cuda.is_available()
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.gpu)
            if not cuda:
                item.add_marker(pytest.mark.skip(reason=NO_CUDA))


@pytest.fixture
def recipe():
    """``recipe(out_dir, *overrides)``: the default recipe run on the GPU (progress off),
    returning its summary; overrides are ``--set`` strings."""
    from trainwise.cli.commands import DEFAULT_RECIPE
    from trainwise.run import load_config
    from trainwise.run.session import run_config

    def run(out, *overrides):
        sets = ["training.device=cuda", "training.progress=off", *overrides]
        return run_config(load_config(DEFAULT_RECIPE, sets), out, echo=lambda *_: None)

    return run
