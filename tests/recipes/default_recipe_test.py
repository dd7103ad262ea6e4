"""The default recipe really learns MNIST-1D (the README's figure is the 3-seed mean from
bench/default_recipe.py; here one seed, the full 30 epochs, ~20 s). The demo runs once per
test session (the ``demo_run`` fixture in tests/conftest.py, shared with the report's
browser test)."""

import json


def test_demo_reaches_99_percent_and_writes_its_run_directory(demo_run, demo_run_dir):
    out = demo_run_dir
    summary = json.loads((out / "summary.json").read_text())
    assert summary["test"]["test_accuracy"] >= 0.99
    printed = demo_run.printed
    assert "test accuracy" in printed and "run directory" in printed and "training time" in printed
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 30
    assert (out / "model.safetensors").exists() and (out / "config.yaml").exists()
    # the demo ends by pointing at its HTML report
    assert printed.rstrip().splitlines()[-1] == f"report: {out / 'report.html'}"
    assert (out / "report.html").is_file()
