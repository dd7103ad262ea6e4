"""Every Python example in README.md and docs/*.md runs as written (a documented name is a
promise). The blocks are read from the files, so an edit there is tested too; each runs in a
fresh namespace holding what the prose says the user already has (a model, its data, a config)
and in a temporary working directory (the examples write ``runs/...``).

The plain-loop doctor examples have their own test (tests/doctor/spec_example_test.py); the
one block that needs a running Ray cluster (``address="auto"``) is listed in ``NEEDS_CLUSTER``
and checked only for the names it uses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from torch import nn

import trainwise as tw

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: blocks that cannot run on a test machine, with the reason (matched by a substring)
NEEDS_CLUSTER = {'address="auto"': "connects to a running Ray cluster"}


def _blocks() -> list[tuple[str, int, str]]:
    found = []
    for path in DOCS:
        text = path.read_text()
        for m in re.finditer(r"```python\n(.*?)```", text, flags=re.S):
            code = m.group(1)
            if "tw.Doctor(" in code:  # run by tests/doctor/spec_example_test.py
                continue
            found.append((path.name, text[: m.start()].count("\n") + 1, code))
    return found


BLOCKS = _blocks()


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))


def _namespace() -> dict:
    """What the documented examples assume: 4-feature, 3-class data split train/val/test, a
    fresh model (and three for the ensemble), its optimizer, and a small comparison config."""
    torch.manual_seed(0)
    x = torch.randn(360, 4)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    model = _mlp()
    return {
        "tw": tw,
        "torch": torch,
        "x": x[:240],
        "y": y[:240],
        "x_train": x[:240],
        "y_train": y[:240],
        "x_val": x[240:300],
        "y_val": y[240:300],
        "x_test": x[300:],
        "y_test": y[300:],
        "model": model,
        "optimizer": torch.optim.Adam(model.parameters(), lr=1e-3),
        "model_a": _mlp(),
        "model_b": _mlp(),
        "model_c": _mlp(),
        "cfg": {
            "data": {"name": "circles", "n_samples": 200, "validation_split": 0.2},
            "model": {"name": "mlp", "hidden": [16]},
            "training": {"epochs": 3, "batch_size": 32},
        },
    }


def test_the_docs_have_python_examples():
    files = {name for name, _, _ in BLOCKS}
    assert {"README.md", "tricks.md", "experiments.md", "checkpoints.md"} <= files
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("name,line,code", BLOCKS, ids=[f"{n}:{ln}" for n, ln, _ in BLOCKS])
def test_the_documented_example_runs_as_written(name, line, code, tmp_path, monkeypatch):
    skip = next((why for key, why in NEEDS_CLUSTER.items() if key in code), None)
    if skip:
        # the names it uses must still exist, so a rename breaks this test
        assert callable(tw.compare) and "backend" in tw.compare.__code__.co_varnames
        pytest.skip(f"{name}:{line} {skip}")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    ns = _namespace()
    exec(compile(code, f"{name}:{line}", "exec"), ns)
