import json

import numpy as np
import pytest
import torch

from trainwise.config.validate import validate_config
from trainwise.data.splits import kfold_indices
from trainwise.experiments.comparison.trial import TrialSpec, run_trial
from trainwise.experiments.cross_validation.fold_plan import FoldPlan
from trainwise.experiments.cross_validation.from_config import run_cross_validation
from trainwise.experiments.cross_validation.runner import TrainedFold, run_config_fold, run_folds
from trainwise.experiments.predictions import score_predictions
from trainwise.run.schema import Config

Y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])


def _logits(y, right=True):
    """Logits that pick the true class (or the next one)."""
    target = y if right else (y + 1) % 3
    return torch.nn.functional.one_hot(target, 3).float() * 5.0


def test_oof_rows_and_mean_come_from_each_folds_held_out_part():
    indices = kfold_indices(Y, 3, seed=0, stratified=True)
    seen = []

    def train_fold(i):
        seen.append(i)
        val = torch.as_tensor(indices[i][1])
        # fold 2 (index 1) predicts every held-out sample wrong
        return TrainedFold(_logits(Y[val], right=i != 1), Y[val], epochs=i + 1)

    r = run_folds(indices, Y, "classification", True, train_fold)
    assert seen == [0, 1, 2]
    assert [row["fold"] for row in r.rows] == [1, 2, 3]
    assert [row["epochs"] for row in r.rows] == [1, 2, 3]
    assert [row["val_accuracy"] for row in r.rows] == [1.0, 0.0, 1.0]
    assert r.mean["val_accuracy"] == pytest.approx(2 / 3)
    assert r.std["val_accuracy"] == pytest.approx(np.std([1, 0, 1], ddof=1))
    # each sample's OOF row is its own fold's prediction, in the targets' order
    for k, (_, val_idx) in enumerate(indices):
        assert (r.fold_of[val_idx] == k + 1).all()
        want = torch.softmax(_logits(Y[val_idx], right=k != 1), 1)
        assert torch.equal(r.oof[torch.as_tensor(val_idx)], want)
    assert r.oof_metrics == score_predictions(r.oof, Y, "classification")
    assert r.oof_metrics["accuracy"] == pytest.approx(8 / 12)
    assert r.ensemble_test is None


def test_fold_models_test_probabilities_are_averaged():
    indices = kfold_indices(len(Y), 2, seed=0)
    y_test = torch.tensor([0, 1])
    # fold 1 is sure of class 0 for both, fold 2 of class 1: the average is 50/50, and
    # argmax ties go to the first class
    outs = [torch.tensor([[9.0, 0, 0], [9.0, 0, 0]]), torch.tensor([[0, 9.0, 0], [0, 9.0, 0]])]

    def train_fold(i):
        val = torch.as_tensor(indices[i][1])
        return TrainedFold(_logits(Y[val]), Y[val], 1, {"test_accuracy": 0.5}, outs[i], y_test)

    r = run_folds(indices, Y, "classification", True, train_fold)
    assert [row["test_accuracy"] for row in r.rows] == [0.5, 0.5]
    assert set(r.ensemble_test) == {"test_accuracy", "test_log_loss"}
    assert r.ensemble_test["test_accuracy"] == 0.5
    assert r.ensemble_test["test_log_loss"] == pytest.approx(-np.log(0.5), rel=1e-3)


def test_a_stopped_fold_stops_the_loop():
    indices = kfold_indices(len(Y), 3, seed=0)
    calls = []

    def train_fold(i):
        calls.append(i)
        return None

    assert run_folds(indices, Y, "classification", True, train_fold) is None
    assert calls == [0]


def test_regression_with_one_output_keeps_the_targets_shape():
    y = torch.linspace(0, 1, 6)
    indices = kfold_indices(len(y), 2, seed=0)

    def train_fold(i):
        val = torch.as_tensor(indices[i][1])
        return TrainedFold(y[val].reshape(-1, 1) + 0.5, y[val], 1)

    r = run_folds(indices, y, "regression", True, train_fold)
    assert r.oof.shape == (6,)
    assert r.mean["val_mae"] == pytest.approx(0.5) and r.oof_metrics["mse"] == pytest.approx(0.25)


TINY = {
    "seed": 2,
    "data": {"name": "circles", "n_samples": 120, "validation_split": 0.25},
    "model": {"name": "mlp", "hidden": [8]},
    "optimizer": {"name": "adam", "lr": 0.02},
    "training": {"epochs": 2, "batch_size": 32, "progress": "off"},
    "doctor": False,
}


def test_run_config_fold_writes_fold_json_and_an_ordinary_run(tmp_path):
    cfg = validate_config(TINY, Config)
    plan = FoldPlan(cfg.data, 2, seed=cfg.seed)
    summary = run_config_fold(cfg, plan, 1, tmp_path / "f", echo=lambda *_: None)
    assert summary["epochs_run"] == 2
    fold = json.loads((tmp_path / "f" / "fold.json").read_text())
    assert fold == {"fold": 2, "folds": 2, "seed": 2, "stratified": True}
    assert (tmp_path / "f" / "model.safetensors").is_file()


def test_run_folds_and_compare_folds_train_the_same_fold_bit_for_bit(tmp_path):
    """The one fold runner: fold 2 of ``run --folds 2`` and the fold-2 trial of
    ``compare --folds 2`` are the same run, down to the last bit of the weights."""
    cfg = validate_config(TINY, Config)
    run_cross_validation(cfg, 2, tmp_path / "cv", echo=lambda *_: None)
    spec = TrialSpec("baseline", cfg.seed, 2, 2, "trials/baseline/fold-2", cfg)
    assert run_trial(spec, tmp_path / "cmp")["status"] == "done"
    cv_fold, trial = tmp_path / "cv" / "fold-2", tmp_path / "cmp" / spec.dir
    for name in ("model.safetensors", "fold.json", "metrics.jsonl"):
        a, b = (cv_fold / name).read_bytes(), (trial / name).read_bytes()
        if name == "metrics.jsonl":  # the same numbers; only the timings differ
            a, b = (
                [
                    {k: v for k, v in json.loads(x).items() if "time" not in k}
                    for x in t.splitlines()
                ]
                for t in (a, b)
            )
        assert a == b, name
