"""Mixed precision on CUDA: fp16 (with loss scaling) and bf16 train the default recipe as well
as fp32 does; TF32 on and off both converge too."""

from __future__ import annotations

import json

import pytest
import torch

EPOCHS = "training.epochs=10"


def _log(run_dir):
    return [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_mixed_precision_converges_like_fp32_on_the_default_recipe(tmp_path, recipe, precision):
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bf16")
    fp32 = recipe(tmp_path / "fp32", EPOCHS)
    mixed = recipe(tmp_path / precision, EPOCHS, f"training.precision={precision}")
    acc32, acc = fp32["test"]["test_accuracy"], mixed["test"]["test_accuracy"]
    assert acc > 0.75, acc  # the recipe reaches ~0.8+ after 10 epochs
    assert abs(acc - acc32) < 0.03, (acc, acc32)
    log = _log(tmp_path / precision)
    assert log[-1]["loss"] < 0.7 * log[0]["loss"]
    if precision == "fp16":
        assert all("skipped_steps" in e and "grad_scale" in e for e in log)
        assert sum(e["skipped_steps"] for e in log) < 30  # a few while the scale settles


@pytest.mark.parametrize("tf32", ["true", "false"])
def test_tf32_setting_trains_and_is_restored(tmp_path, recipe, tf32):
    before = torch.backends.cuda.matmul.fp32_precision
    summary = recipe(tmp_path / tf32, "training.epochs=3", f"training.tf32={tf32}")
    assert summary["test"]["test_accuracy"] > 0.5
    assert torch.backends.cuda.matmul.fp32_precision == before
