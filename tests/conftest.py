"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import contextlib
import io
from types import SimpleNamespace

import pytest

from trainwise.cli.main import main


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``trainwise demo`` run once per test session (~20 s: the full default recipe), shared
    by the recipe test and the report's browser test: ``dir`` (the run directory),
    ``exit_code`` and ``printed`` (its stdout)."""
    out = tmp_path_factory.mktemp("demo") / "demo"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["demo", "--out", str(out), "--set", "training.progress=off"])
    return SimpleNamespace(dir=out, exit_code=code, printed=buf.getvalue())


@pytest.fixture(scope="session")
def demo_run_dir(demo_run):
    """The demo's run directory (see :func:`demo_run`)."""
    assert demo_run.exit_code == 0, demo_run.printed
    return demo_run.dir
