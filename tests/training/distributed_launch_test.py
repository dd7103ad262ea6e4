"""`trainwise run CONFIG --nproc 2` through torchrun, under faults: rank 0 killed inside its
save and rank 1 SIGKILLed mid-run, each followed by a torchrun restart, end bitwise where an
uninterrupted 2-process run ends; with no restarts left the survivor ends promptly.

These start real processes (torchrun's agent, two workers per attempt), so they are the
slowest tests of the data-parallel path: a few seconds each on an idle machine."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from trainwise.run import load_config
from trainwise.run.session import run_config
from trainwise.training.distributed_launch import torchrun_args

CONFIG = """
seed: 5
data: {name: circles, n_samples: 400, validation_split: 0.2}
model: {name: mlp, hidden: [16], norm: none, dropout: 0.0}
optimizer: {name: adam, lr: 0.01}
schedule: {name: cosine}
training: {epochs: 16, batch_size: 8, progress: off}
checkpoint: {every_steps: 20, keep: 2}
doctor: false
"""


def _env(tag, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINWISE_TEST")}
    return {**env, "OMP_NUM_THREADS": "1", "TRAINWISE_TEST_TAG": tag, **extra}


def _launch(cfg, out, restarts, env, log):
    """``trainwise run --nproc 2``; its output goes to the file ``log`` (a pipe nobody reads
    while the test waits could fill up and stop the run)."""
    cmd = [sys.executable, "-m", "trainwise", "run", str(cfg), "--out", str(out)]
    cmd += ["--nproc", "2", "--max-restarts", str(restarts)]
    with open(log, "wb") as f:
        return subprocess.Popen(cmd, env=env, stdout=f, stderr=subprocess.STDOUT)


def _rank_pid(tag, rank, restart):
    """The pid of the worker of ``rank`` in attempt ``restart`` of the launch tagged ``tag``."""
    want = {f"TRAINWISE_TEST_TAG={tag}", f"RANK={rank}", f"TORCHELASTIC_RESTART_COUNT={restart}"}
    for proc in Path("/proc").iterdir():
        try:
            env = set((proc / "environ").read_bytes().decode(errors="replace").split("\0"))
        except OSError:
            continue
        if proc.name.isdigit() and want <= env:
            return int(proc.name)
    return None


def _steps_saved(out):
    ckpts = out / "checkpoints"
    names = [p.name for p in ckpts.iterdir()] if ckpts.is_dir() else []
    return max((int(n[5:]) for n in names if n.startswith("step-")), default=-1)


def _wait(proc, log, cond, timeout, what):
    t0 = time.monotonic()
    while not cond():
        assert proc.poll() is None, f"the run ended before {what}:\n{log.read_text()[-3000:]}"
        assert time.monotonic() - t0 < timeout, f"timed out waiting for {what}"
        time.sleep(0.02)


def _log(out):
    return [
        {k: v for k, v in json.loads(line).items() if k != "time"}
        for line in (out / "metrics.jsonl").read_text().splitlines()
    ]


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    path = tmp_path_factory.mktemp("ddp") / "tiny.yaml"
    path.write_text(CONFIG)
    return path


@pytest.fixture(scope="module")
def uninterrupted(config, tmp_path_factory, ranks):
    out = tmp_path_factory.mktemp("ref") / "run"
    cfg = load_config(config)
    ranks(lambda rank: run_config(cfg, out, echo=lambda *_: None)["run_dir"], timeout=600)
    return out


def test_kill_inside_rank0s_save_and_sigkill_of_rank1_resume_bitwise(
    config, uninterrupted, tmp_path
):
    out, marker, tag = tmp_path / "run", tmp_path / "crashed", uuid.uuid4().hex
    log = tmp_path / "printed.txt"
    crash = f"once@200:{marker}"  # rank 0 dies inside its save of step 200
    proc = _launch(config, out, 2, _env(tag, TRAINWISE_TEST_CRASH_IN_SAVE=crash), log)
    try:
        _wait(proc, log, marker.exists, 600, "the crash inside rank 0's save")
        _wait(proc, log, lambda: _rank_pid(tag, 1, 1) is not None, 600, "the restarted rank 1")
        pid = _rank_pid(tag, 1, 1)
        # attempt 1 resumed from step 192 and saved step 200: kill rank 1 mid-run, for real
        _wait(proc, log, lambda: _steps_saved(out) >= 200, 600, "the restarted run's progress")
        os.kill(pid, signal.SIGKILL)
        assert not (out / "model.safetensors").exists(), "the run ended before the kill"
        proc.wait(timeout=600)
    finally:
        proc.kill()
    printed = log.read_text()
    assert proc.returncode == 0, printed
    assert "resuming from step-000000192" in printed and printed.count("resuming from") == 2
    assert (out / "model.safetensors").read_bytes() == (
        uninterrupted / "model.safetensors"
    ).read_bytes()
    assert _log(out) == _log(uninterrupted)
    assert not [p for p in (out / "checkpoints").iterdir() if p.name.startswith(".staging")]


def test_with_no_restarts_left_the_survivor_ends_promptly(config, tmp_path):
    out, tag, log = tmp_path / "run", uuid.uuid4().hex, tmp_path / "printed.txt"
    proc = _launch(config, out, 0, _env(tag), log)
    try:
        _wait(proc, log, lambda: _rank_pid(tag, 1, 0) is not None, 600, "rank 1")
        pid = _rank_pid(tag, 1, 0)
        _wait(proc, log, lambda: _steps_saved(out) >= 20, 600, "the first checkpoint")
        os.kill(pid, signal.SIGKILL)
        t0 = time.monotonic()
        proc.wait(timeout=120)
        ended = time.monotonic() - t0
    finally:
        proc.kill()
    printed = log.read_text()
    assert proc.returncode == 1, printed
    assert ended < 60, f"the survivor took {ended:.0f} s to end"  # not gloo's 30 minutes
    assert not (out / "model.safetensors").exists()
    assert "1 of 2 processes failed" in printed or "2 of 2 processes failed" in printed


def test_torchrun_arguments_are_checked():
    assert torchrun_args(2, 0, ["run", "c.yaml"])[-4:] == ["-m", "trainwise", "run", "c.yaml"]
    with pytest.raises(ValueError, match="--nproc: 0 is not allowed"):
        torchrun_args(0, 0, [])
    with pytest.raises(ValueError, match="--max-restarts: -1 is not allowed"):
        torchrun_args(2, -1, [])
