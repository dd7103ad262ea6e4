import json

import numpy as np
import pytest
from safetensors.torch import load_file

from trainwise.cli.main import main
from trainwise.experiments.evaluation.run_evaluator import RunEvaluator

CONFIG = """
seed: 1
data: {name: circles, n_samples: 180, validation_split: 0.2, test_split: 0.2}
model: {name: mlp, hidden: [8], activation: tanh, norm: none}
optimizer: {name: adam, lr: 0.02}
training: {epochs: 2, batch_size: 32, progress: off}
checkpoint: {every_epochs: 1, keep: 1}
"""


@pytest.fixture(scope="module")
def cv_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cv")
    (root / "cfg.yaml").write_text(CONFIG)
    rc = main(["run", str(root / "cfg.yaml"), "--folds", "3", "--out", str(root / "cv")])
    assert rc == 0
    return root


def test_fold_runs_cv_json_and_oof(cv_run, capsys):
    out = cv_run / "cv"
    cv = json.loads((out / "cv.json").read_text())
    assert cv["folds"] == 3 and cv["stratified"] and cv["task"] == "classification"
    rows = cv["per_fold"]
    assert [r["fold"] for r in rows] == [1, 2, 3]
    for key in ("val_accuracy", "val_log_loss", "test_accuracy", "test_loss"):
        values = [r[key] for r in rows]
        assert cv["mean"][key] == pytest.approx(np.mean(values))
        assert cv["std"][key] == pytest.approx(np.std(values, ddof=1))
    oof = np.load(out / "oof.npz")
    # pool = the 144 non-test samples (180 minus the 20% test split); each in one fold
    assert oof["predictions"].shape == (144, 2) and oof["y"].shape == (144,)
    assert sorted(np.bincount(oof["fold"])[1:].tolist()) == [48, 48, 48]
    acc = float((oof["predictions"].argmax(1) == oof["y"]).mean())
    assert cv["oof"]["accuracy"] == pytest.approx(acc)
    for i in (1, 2, 3):
        fold = json.loads((out / f"fold-{i}" / "fold.json").read_text())
        assert fold == {"fold": i, "folds": 3, "seed": 1, "stratified": True}
        assert (out / f"fold-{i}" / "summary.json").is_file()
    assert set(cv["ensemble_test"]) == {"test_accuracy", "test_log_loss"}


def test_eval_rebuilds_a_fold_from_fold_json(cv_run):
    fold = cv_run / "cv" / "fold-2"
    summary = json.loads((fold / "summary.json").read_text())
    ev = RunEvaluator(fold)
    got = ev.evaluate(load_file(str(fold / "model.safetensors")))
    # the fold's own validation data, not the config's validation split
    assert got["val_loss"] == pytest.approx(summary["final"]["val_loss"], rel=1e-5)
    assert got["test_loss"] == pytest.approx(summary["test"]["test_loss"], rel=1e-5)
    assert len(ev.bundle.x_val) == 48


def test_resume_reuses_finished_folds(cv_run, capsys):
    out = cv_run / "cv"
    before = {i: (out / f"fold-{i}" / "summary.json").stat().st_mtime_ns for i in (1, 2, 3)}
    old = json.loads((out / "cv.json").read_text())
    rc = main(["run", str(cv_run / "cfg.yaml"), "--folds", "3", "--out", str(out), "--resume"])
    assert rc == 0
    text = capsys.readouterr().out
    assert text.count("finished earlier; reusing it") == 3 and "mean ± std" in text
    after = {i: (out / f"fold-{i}" / "summary.json").stat().st_mtime_ns for i in (1, 2, 3)}
    assert before == after
    assert json.loads((out / "cv.json").read_text())["mean"] == old["mean"]


def test_a_new_run_refuses_a_directory_with_checkpoints(cv_run, capsys):
    rc = main(["run", str(cv_run / "cfg.yaml"), "--folds", "3", "--out", str(cv_run / "cv")])
    assert rc == 2
    assert "already holds checkpoints" in capsys.readouterr().err


def test_one_fold_is_bad_input(cv_run, tmp_path, capsys):
    rc = main(["run", str(cv_run / "cfg.yaml"), "--folds", "1", "--out", str(tmp_path / "x")])
    assert rc == 2
    assert "folds: 1 is not possible with 144 samples; allowed: 2..144" in capsys.readouterr().err
