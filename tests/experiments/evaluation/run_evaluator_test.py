import json

import pytest

from trainwise.checkpoint.store import read_checkpoint
from trainwise.errors import CheckpointError
from trainwise.experiments.evaluation.run_evaluator import RunEvaluator, ema_state
from trainwise.experiments.evaluation.watcher import finished_checkpoints


def _epoch_logs(run_dir):
    return {
        r["epoch"]: r for r in map(json.loads, (run_dir / "metrics.jsonl").read_text().splitlines())
    }


def test_rebuilt_run_reproduces_the_training_validation_metrics(finished_run):
    ev = RunEvaluator(finished_run)
    logs = _epoch_logs(finished_run)
    ckpts = finished_checkpoints(finished_run / "checkpoints")
    assert len(ckpts) == 4
    for path in ckpts:
        model_state, state = read_checkpoint(path)
        epoch = state["trainer"]["epoch"]  # epochs completed when it was saved
        got = ev.evaluate(model_state)
        assert set(got) == {"val_loss", "val_accuracy", "test_loss", "test_accuracy"}
        assert got["val_loss"] == pytest.approx(logs[epoch]["val_loss"], rel=1e-5)
        assert got["val_accuracy"] == pytest.approx(logs[epoch]["val_accuracy"])
        ema = ema_state(state)
        assert ema is not None and ema["num_updates"] > 0
        got_ema = ev.evaluate(ema["weights"], "ema")
        assert got_ema["val_loss"] == pytest.approx(logs[epoch]["ema_val_loss"], rel=1e-5)
    summary = json.loads((finished_run / "summary.json").read_text())
    from safetensors.torch import load_file

    final = ev.evaluate(load_file(str(finished_run / "model.safetensors")))
    assert final["test_loss"] == pytest.approx(summary["test"]["test_loss"], rel=1e-5)


def test_ema_state_is_found_by_key_suffix():
    state = {"trainer": {"callbacks": {"0:EarlyStopping": {}, "1:EMA": {"weights": {}}}}}
    assert ema_state(state) == {"weights": {}}
    assert ema_state({"trainer": {"callbacks": {"0:EarlyStopping": {}}}}) is None
    assert ema_state({}) is None


def test_weights_of_another_model_are_refused(finished_run):
    import torch

    ev = RunEvaluator(finished_run)
    with pytest.raises(CheckpointError, match="does not fit the model"):
        ev.evaluate({"weight": torch.zeros(2)}, "odd weights")


def test_a_directory_without_config_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="has no config.yaml; allowed: a run directory"):
        RunEvaluator(tmp_path)
    (tmp_path / "cv.json").write_text("{}")
    with pytest.raises(CheckpointError, match="give one fold"):
        RunEvaluator(tmp_path)
