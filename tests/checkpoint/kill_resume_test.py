"""Kill a real training process with SIGKILL at random moments (and once inside a save),
resume until done, and check the result is bitwise the uninterrupted run's."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from trainwise.checkpoint.manager import CheckpointManager

CONFIG = """
seed: 7
data: {name: circles, n_samples: 400, validation_split: 0.2, augment: {noise: 0.05}}
model: {name: mlp, hidden: [32, 32], dropout: 0.2, norm: batch}
optimizer: {name: adam, lr: 0.01}
schedule: {name: cosine, warmup_steps: 5}
training: {epochs: 8, batch_size: 16, progress: lines}
checkpoint: {every_steps: 1, keep: 2}
"""


def _cmd(cfg, out, resume):
    return [sys.executable, "-m", "trainwise.cli.main", "run", str(cfg), "--out", str(out)] + (
        ["--resume"] if resume else []
    )


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINWISE_TEST")}
    return {**env, "OMP_NUM_THREADS": "1", **extra}


def _steps_saved(out: Path) -> int:
    ckpts = out / "checkpoints"
    names = (
        [p.name for p in ckpts.iterdir() if p.name.startswith("step-")] if ckpts.is_dir() else []
    )
    return max((int(n[5:]) for n in names), default=-1)


def _log(out: Path):
    return [
        {k: v for k, v in json.loads(line).items() if k != "time"}
        for line in (out / "metrics.jsonl").read_text().splitlines()
    ]


def _optimizer_tensors(out: Path):
    _, _, state = CheckpointManager(out / "checkpoints", echo=lambda *_: None).latest_good()
    return state["trainer"]["optimizer"]["state"]


def test_sigkill_at_random_steps_then_resume_is_bitwise_equal(tmp_path):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(CONFIG)
    ref = tmp_path / "ref"
    subprocess.run(_cmd(cfg, ref, False), check=True, env=_env(), capture_output=True, timeout=300)

    out = tmp_path / "killed"
    # 160 optimizer steps in all (320 training samples / 16 x 8 epochs). Each kill waits for a
    # target step, spaced so that a kill can never overshoot the end of the run, then a random
    # few milliseconds so it lands anywhere inside a step (forward, backward, a save).
    rng = random.Random(1234)
    targets = [start + rng.randrange(0, 10) for start in (10, 35, 60, 85, 110)]
    kills, crash_in_save_done, resume, rounds = 0, False, False, 0
    while True:
        rounds += 1
        assert rounds < 40, "did not finish"
        if kills == 2 and not crash_in_save_done:
            # the process kills itself half-way through writing a checkpoint
            proc = subprocess.run(
                _cmd(cfg, out, resume),
                env=_env(TRAINWISE_TEST_CRASH_IN_SAVE="1"),
                capture_output=True,
                timeout=300,
            )
            assert proc.returncode == -signal.SIGKILL
            assert any(p.name.startswith(".staging-") for p in (out / "checkpoints").iterdir())
            crash_in_save_done, resume = True, True
            continue
        proc = subprocess.Popen(
            _cmd(cfg, out, resume), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if kills < 5:
            deadline = time.time() + 120
            while _steps_saved(out) < targets[kills] and proc.poll() is None:
                assert time.time() < deadline, "training made no progress"
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.02))
            assert proc.poll() is None, f"run ended before kill {kills + 1} (step {targets[kills]})"
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            resume = True
            continue
        assert proc.wait(timeout=300) == 0
        break

    assert kills == 5 and crash_in_save_done
    a, b = load_file(str(ref / "model.safetensors")), load_file(str(out / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    oa, ob = _optimizer_tensors(ref), _optimizer_tensors(out)
    assert oa.keys() == ob.keys()
    for pid in oa:
        for name in oa[pid]:
            assert torch.equal(torch.as_tensor(oa[pid][name]), torch.as_tensor(ob[pid][name]))
    assert _log(ref) == _log(out)
    assert not any(p.name.startswith(".staging-") for p in (out / "checkpoints").iterdir())
