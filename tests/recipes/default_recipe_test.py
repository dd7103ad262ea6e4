"""The default recipe really learns MNIST-1D (the README's figure is the 3-seed mean from
bench/default_recipe.py; here one seed, the full 30 epochs, ~20 s)."""

import json

from trainwise.cli.main import main


def test_demo_reaches_99_percent_and_writes_its_run_directory(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--set", "training.progress=off"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["test"]["test_accuracy"] >= 0.99
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "run directory" in printed and "training time" in printed
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 30
    assert (out / "model.safetensors").exists() and (out / "config.yaml").exists()
