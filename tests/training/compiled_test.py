"""training.compile: the compiled forward, and the plain module on steps where the model has
forward hooks (the doctor's probes), so no probe is lost.

torch.compile's CPU backend generates C++; without a C compiler the tests are skipped."""

from __future__ import annotations

import io
import shutil

import pytest
import torch
from torch import nn

import trainwise as tw
from trainwise.training.compiled import CompiledModel

pytestmark = [
    pytest.mark.skipif(
        shutil.which("cc") is None and shutil.which("gcc") is None and shutil.which("g++") is None,
        reason="torch.compile on CPU needs a C/C++ compiler (none on PATH)",
    ),
    pytest.mark.usefixtures("one_thread"),
]


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))


def test_steps_with_forward_hooks_run_the_plain_module():
    model = _net()
    net = CompiledModel(model)
    assert net.pick() is net.compiled and net.eager_steps == 0
    handle = model[1].register_forward_hook(lambda *a: None)
    assert net.pick() is model and net.eager_steps == 1
    assert net.pick(count=False) is model and net.eager_steps == 1
    handle.remove()  # removal makes no new handle: the scan still notices it
    assert net.pick() is net.compiled and net.eager_steps == 1
    pre = model[0].register_forward_pre_hook(lambda *a: None)
    assert net.pick() is model
    pre.remove()
    assert net.pick() is net.compiled


def test_fit_with_compile_keeps_every_probe_and_says_so():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 6, generator=g)
    y = (x[:, :3].sum(1) > 0).long() + (x[:, 3:].sum(1) > 0).long()
    said = io.StringIO()
    runs = {}
    for compile_ in (False, True):
        runs[compile_] = tw.fit(
            _net(), (x[:192], y[:192]), (x[192:], y[192:]), epochs=3, batch_size=64, lr=1e-2,
            compile=compile_, doctor={"probe_every": 4}, verbose="lines",
            echo=lambda line: said.write(line + "\n"),
        )  # fmt: skip
    plain, compiled = runs[False], runs[True]
    probes = [r["step"] for r in plain.doctor.probe_log]
    assert [r["step"] for r in compiled.doctor.probe_log] == probes
    # the activation statistics come from forward hooks: present on every compiled-run probe
    assert all(r["dead"] for r in compiled.doctor.probe_log)
    assert [r["dead"] for r in compiled.doctor.probe_log] == [
        r["dead"] for r in plain.doctor.probe_log
    ]
    assert "training.compile: " in said.getvalue() and "steps ran uncompiled" in said.getvalue()
    # compiled kernels may round differently, never learn differently
    for a, b in zip(plain.history, compiled.history):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-4)
