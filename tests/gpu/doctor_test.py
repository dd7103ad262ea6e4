"""The doctor finds the same problems on CUDA as on CPU, on seeded faults of the default
recipe: sorted labels (a live and a preflight finding) and a diverging learning rate (a NaN
located in the same module)."""

from __future__ import annotations

import json

import pytest

from trainwise.cli.commands import DEFAULT_RECIPE
from trainwise.run import load_config
from trainwise.run.session import run_config


def _findings(out, device, *overrides):
    sets = [f"training.device={device}", "training.progress=off", "training.epochs=3", *overrides]
    cfg = load_config(DEFAULT_RECIPE, sets)
    run_config(cfg, out, echo=lambda *_: None)
    found = json.loads((out / "findings.json").read_text())
    return sorted((f["code"], f.get("where")) for f in found)


@pytest.mark.parametrize(
    "fault",
    [("data.faults.sort_by_label=true",), ("optimizer.lr=50.0", "schedule.name=constant")],
    ids=["sorted-labels", "diverging-lr"],
)
def test_findings_equal_with_and_without_cuda(tmp_path, fault):
    cpu = _findings(tmp_path / "cpu", "cpu", *fault)
    gpu = _findings(tmp_path / "gpu", "cuda", *fault)
    assert cpu, "the seeded fault must give at least one finding"
    assert gpu == cpu
