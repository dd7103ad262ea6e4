"""Fixtures shared by the whole test suite: the demo run, ``one_thread`` and the tiny
data and model builders (``tiny_classification``, ``tiny_regression``, ``tiny_mlp``).

Test modules cannot import each other under ``--import-mode=importlib``, so shared helpers
reach them as fixtures (the builders are session fixtures that return the function)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from trainwise.callbacks.callback import Callback
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


@pytest.fixture(scope="module")
def one_thread():
    """One intra-op thread for a module's tests (use ``pytestmark =
    pytest.mark.usefixtures("one_thread")`` or ask for it): their tensors are tiny, so a
    second thread only adds contention on a shared machine. The old count comes back after."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _first_feature_positive(x: torch.Tensor) -> torch.Tensor:
    return x[:, 0] > 0


def _tiny_classification(
    n: int = 64,
    features: int = 4,
    *,
    seed: int = 0,
    label: Callable[[torch.Tensor], torch.Tensor] | None = None,
    classes: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=g)
    if classes is not None:  # noise: labels drawn next from the same generator
        return x, torch.randint(0, classes, (n,), generator=g)
    return x, (label or _first_feature_positive)(x).long()


def _tiny_regression(
    n: int = 64, features: int = 4, *, seed: int = 0, outputs: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=g)
    return x, torch.randn(n, outputs, generator=g)


def _tiny_mlp(
    features: int = 4,
    hidden: int = 8,
    outputs: int = 2,
    *,
    seed: int | None = 0,
    act: type[nn.Module] | None = nn.ReLU,
    norm: bool = False,
    dropout: float = 0.0,
) -> nn.Sequential:
    if seed is not None:
        torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Linear(features, hidden)]
    layers += [nn.BatchNorm1d(hidden)] if norm else []
    layers += [act()] if act is not None else []
    layers += [nn.Dropout(dropout)] if dropout else []
    return nn.Sequential(*layers, nn.Linear(hidden, outputs))


@pytest.fixture(scope="session")
def tiny_classification():
    """Builds ``(x, y)``: ``x`` of shape (n, features) from ``torch.randn`` with its own
    generator seeded with ``seed`` (the global RNG is left alone); ``y = label(x).long()``
    (default ``x[:, 0] > 0``), or with ``classes=k`` uniform random labels in 0..k-1 drawn
    next from the same generator (nothing to learn). Defaults: n 64, features 4, seed 0.

    Example::

        def test_it_learns(tiny_classification):
            x, y = tiny_classification(96, 6, label=lambda x: x[:, 0] * x[:, 1] > 0)
    """
    return _tiny_classification


@pytest.fixture(scope="session")
def tiny_regression():
    """Builds ``(x, y)``: ``x`` (n, features) then ``y`` (n, outputs), both ``torch.randn``
    from one generator seeded with ``seed``. Defaults: n 64, features 4, seed 0, outputs 1.

    Example::

        x, y = tiny_regression(32, 4)
    """
    return _tiny_regression


@pytest.fixture(scope="session")
def tiny_mlp():
    """Builds ``Linear(features, hidden) [-> BatchNorm1d] [-> act()] [-> Dropout] ->
    Linear(hidden, outputs)`` after ``torch.manual_seed(seed)`` (``seed=None``: the global RNG
    as it is). Defaults: features 4, hidden 8, outputs 2, seed 0, act ReLU (None: no
    activation), no norm, no dropout.

    Example::

        model = tiny_mlp(6, 16, norm=True, dropout=0.3, seed=1)
    """
    return _tiny_mlp


class _InterruptAt(Callback):
    def __init__(self, step: int):
        self.step = step

    def on_batch_end(self, trainer, step, loss, output, target):
        if trainer.global_step == self.step:
            trainer.interrupt("test interrupt")


@pytest.fixture(scope="session")
def interrupt_at():
    """Builds a callback that interrupts a fit after optimizer step ``step`` (as Ctrl-C
    would: the fit saves a checkpoint and returns ``interrupted``), for resume tests.

    Example::

        part = tw.fit(model, data, out_dir=out, callbacks=[interrupt_at(6)])
    """
    return _InterruptAt
