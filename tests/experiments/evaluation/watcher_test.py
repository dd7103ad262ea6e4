import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from trainwise.errors import CheckpointError
from trainwise.experiments.evaluation import watcher as watcher_module
from trainwise.experiments.evaluation.watcher import EvalWatcher, finished_checkpoints


def _quiet(*_):
    pass


@pytest.fixture
def run_copy(finished_run, tmp_path):
    """A private copy of the finished run, so each test starts without eval/ state."""
    return shutil.copytree(finished_run, tmp_path / "run")


def _names(records):
    return [r["checkpoint"] for r in records]


def test_poll_evaluates_each_checkpoint_and_the_final_weights_once(run_copy):
    w = EvalWatcher(run_copy, echo=_quiet)
    new = w.poll()
    expected = [p.name for p in finished_checkpoints(run_copy / "checkpoints")]
    assert _names(new) == expected + ["final"] and len(expected) == 4
    assert all("ema_val_loss" in r for r in new[:-1])  # EMA weights evaluated too
    assert new[-1]["epoch"] == 4 and "ema_val_loss" not in new[-1]
    assert w.poll() == []  # nothing new
    w.close()
    again = EvalWatcher(run_copy, echo=_quiet)  # a restarted watcher remembers
    assert again.poll() == []
    assert _names(again.records()) == expected + ["final"]
    # the best copy is the best of every raw and EMA evaluation, by val_loss
    candidates = [(r["val_loss"], r["checkpoint"], "raw") for r in new] + [
        (r["ema_val_loss"], r["checkpoint"], "ema") for r in new if "ema_val_loss" in r
    ]
    best = json.loads((run_copy / "eval" / "best.json").read_text())
    value, name, kind = min(candidates, key=lambda c: c[0])  # the first of equals wins
    assert (best["value"], best["checkpoint"], best["weights"]) == (value, name, kind)
    assert (run_copy / "eval" / "best.safetensors").is_file()
    again.close()


def test_a_torn_last_line_is_dropped_and_that_checkpoint_redone(run_copy):
    w = EvalWatcher(run_copy, echo=_quiet)
    w.poll()
    w.close()
    log = run_copy / "eval" / "metrics.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:2]) + lines[2][:15])  # killed while appending line 3
    w = EvalWatcher(run_copy, echo=_quiet)
    redone = w.poll()
    assert _names(redone) == [json.loads(line)["checkpoint"] for line in lines[2:]]
    names = _names(w.records())
    assert len(names) == len(set(names)) == 5
    w.close()


def test_a_checkpoint_pruned_while_being_read_is_logged_as_missed(run_copy, monkeypatch):
    victim = finished_checkpoints(run_copy / "checkpoints")[1]
    real = watcher_module.read_checkpoint

    def pruned_under_us(path):
        if path == victim:
            shutil.rmtree(path)
        return real(path)

    monkeypatch.setattr(watcher_module, "read_checkpoint", pruned_under_us)
    w = EvalWatcher(run_copy, echo=_quiet)
    records = {r["checkpoint"]: r for r in w.poll()}
    assert "missed" in records[victim.name] and "val_loss" not in records[victim.name]
    assert len(records) == 5
    w.close()


def test_staging_and_foreign_directories_are_ignored(tmp_path):
    ck = tmp_path / "checkpoints"
    for name in ("step-000000002", "step-000000010", ".staging-step-000000011-123", "other"):
        (ck / name).mkdir(parents=True)
    assert [p.name for p in finished_checkpoints(ck)] == ["step-000000002", "step-000000010"]


def test_one_watcher_per_run(run_copy):
    first = EvalWatcher(run_copy, echo=_quiet)
    first.poll()
    with pytest.raises(CheckpointError, match="another 'trainwise eval' is already evaluating"):
        EvalWatcher(run_copy, echo=_quiet).poll()
    first.close()


def test_watch_times_out_when_the_run_never_appears(tmp_path):
    w = EvalWatcher(tmp_path / "not-yet", echo=_quiet)
    assert w.watch(interval=0.05, timeout=0.3) is False
    w.close()


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINWISE_TEST")}
    return {**env, "OMP_NUM_THREADS": "1"}


def test_training_and_watcher_as_two_processes_every_checkpoint_evaluated_once(
    tmp_path, run_config_text
):
    cfg = tmp_path / "cfg.yaml"
    # keep: 100 > epochs, so training prunes nothing and every saved checkpoint stays readable
    # until the watcher gets to it (see the watcher module's docstring on pruning).
    cfg.write_text(run_config_text.replace("epochs: 4", "epochs: 6"))
    run_dir = tmp_path / "run"
    cli = [sys.executable, "-m", "trainwise.cli.main"]
    # the watcher starts first and waits for the run directory to appear
    watcher = subprocess.Popen(
        cli + ["eval", str(run_dir), "--watch", "--interval", "0.1", "--timeout", "240"],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(0.5)
        train = subprocess.run(
            cli + ["run", str(cfg), "--out", str(run_dir)],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert train.returncode == 0, train.stderr
        out, _ = watcher.communicate(timeout=240)
    finally:
        if watcher.poll() is None:  # only on failure: do not leave the watcher behind
            watcher.kill()
            watcher.wait()
    assert watcher.returncode == 0, out
    records = [json.loads(line) for line in (run_dir / "eval" / "metrics.jsonl").open()]
    saved = [p.name for p in finished_checkpoints(run_dir / "checkpoints")]
    assert len(saved) == 6
    assert sorted(_names(records)) == sorted(saved + ["final"])  # each exactly once
    assert not [r for r in records if "missed" in r or "error" in r]
    logs = {r["epoch"]: r for r in map(json.loads, (run_dir / "metrics.jsonl").open())}
    for r in records:
        assert r["val_loss"] == pytest.approx(logs[r["epoch"]]["val_loss"], rel=1e-5)
        if r["checkpoint"] != "final":
            assert r["ema_val_loss"] == pytest.approx(logs[r["epoch"]]["ema_val_loss"], rel=1e-5)
    assert "best by val_loss" in out
