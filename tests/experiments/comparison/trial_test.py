import json

import pytest

from trainwise.config.validate import validate_config
from trainwise.errors import ConfigError
from trainwise.experiments.comparison.trial import (
    TrialSpec,
    check_metrics,
    default_metrics,
    run_trial,
    trial_metrics,
    trial_state,
)

TINY = {
    "data": {"name": "circles", "n_samples": 200, "validation_split": 0.25, "split": "stratified"},
    "model": {"name": "mlp", "hidden": [8]},
    "optimizer": {"name": "adam", "lr": 0.02},
    "training": {"epochs": 2, "batch_size": 32, "progress": "off"},
    "doctor": False,
}


def _spec(overrides=None, fold=None, folds=None):
    from trainwise.run.schema import Config

    cfg = validate_config({**TINY, **(overrides or {})}, Config)
    sub = f"fold-{fold}" if fold else "seed-0"
    return TrialSpec("v", cfg.seed, fold, folds, f"trials/v/{sub}", cfg)


def test_fresh_trial_runs_quietly_into_its_folder_then_is_read_back(tmp_path, capsys):
    spec = _spec()
    rec = run_trial(spec, tmp_path)
    run_dir = tmp_path / spec.dir
    assert rec["status"] == "done" and rec["reused"] is False
    assert (rec["variant"], rec["seed"], rec["fold"], rec["dir"]) == ("v", 0, None, spec.dir)
    assert set(rec["summary"]["test"]) == {"test_loss", "test_accuracy"}
    assert rec["wall_seconds"] > 0
    assert capsys.readouterr().out == ""  # everything went to log.txt
    log = (run_dir / "log.txt").read_text()
    assert "== v seed 0: starting" in log and "train 120, val 40, test 40" in log
    assert trial_state(run_dir) == "done"

    stamp = (run_dir / "summary.json").stat().st_mtime_ns
    again = run_trial(spec, tmp_path)
    assert again["reused"] is True and again["summary"] == rec["summary"]
    assert (run_dir / "summary.json").stat().st_mtime_ns == stamp

    # checkpoints but no summary (killed after the last save): resumed, same result
    (run_dir / "summary.json").unlink()
    assert trial_state(run_dir) == "resume"
    resumed = run_trial(spec, tmp_path)
    assert resumed["status"] == "done" and resumed["reused"] is False
    assert resumed["summary"]["test"] == rec["summary"]["test"]
    assert "== v seed 0: resuming" in (run_dir / "log.txt").read_text()


def test_a_failing_run_is_a_record_not_an_exception(tmp_path):
    spec = _spec({"model": {"name": "cnn"}})  # valid config, but a CNN cannot take (2,) inputs
    rec = run_trial(spec, tmp_path)
    assert rec["status"] == "failed" and "summary" not in rec
    assert rec["error"].startswith("ModelError: model.name: 'cnn' needs inputs of shape")
    assert "Traceback" in (tmp_path / spec.dir / "log.txt").read_text()
    assert trial_state(tmp_path / spec.dir) == "fresh"


def test_fold_trial_trains_on_that_fold(tmp_path):
    spec = _spec(fold=2, folds=2)
    rec = run_trial(spec, tmp_path)
    assert rec["status"] == "done" and rec["fold"] == 2
    fold = json.loads((tmp_path / spec.dir / "fold.json").read_text())
    assert fold == {"fold": 2, "folds": 2, "seed": 0, "stratified": True}
    # the pool (train + val = 160) halves: 80 held out
    assert "train 80, val 80, test 40" in (tmp_path / spec.dir / "log.txt").read_text()


def test_metric_names_map_to_summary_sections():
    s = {
        "test": {"test_accuracy": 0.9, "test_loss": 0.3},
        "best": {"val_loss": 0.25, "val_accuracy": 0.92, "loss": 0.2},
        "final": {"val_loss": 0.4},
    }
    assert trial_metrics(s, ["test_accuracy", "val_loss", "loss", "final_val_loss", "x"]) == {
        "test_accuracy": 0.9,
        "val_loss": 0.25,
        "loss": 0.2,
        "final_val_loss": 0.4,
        "x": None,
    }
    assert trial_metrics(None, ["val_loss"]) == {"val_loss": None}


@pytest.mark.parametrize(
    "summaries,metrics",
    [
        ([{"test": {"test_accuracy": 1.0}}], ["test_accuracy", "val_accuracy", "val_loss"]),
        ([{"test": {"test_loss": 1.0}}], ["test_loss", "val_loss"]),
        ([{"test": {}}, {"test": {"test_mae": 1.0}}], ["test_loss", "val_loss", "test_mae"]),
        ([], ["test_loss", "val_loss"]),
    ],
)
def test_default_metrics_by_task(summaries, metrics):
    assert default_metrics(summaries) == metrics


def test_without_finished_trials_the_loss_decides():
    assert default_metrics([], "classification")[0] == "test_accuracy"
    assert default_metrics([], "binary")[0] == "test_accuracy"
    assert default_metrics([], "regression") == ["test_loss", "val_loss"]


def test_metric_names_are_checked_with_a_suggestion():
    assert check_metrics(["val_mae", "final_loss", "accuracy"]) == [
        "val_mae",
        "final_loss",
        "accuracy",
    ]
    with pytest.raises(
        ConfigError, match="metrics: 'test_acuracy' is not a metric; did you mean 'test_accuracy'"
    ):
        check_metrics(["test_accuracy", "test_acuracy"])
