"""SIGINT/SIGTERM: save at the end of the current step, stop, say how to resume."""

import os
import signal
import subprocess
import sys
import time

import torch

import trainwise as tw


class SendSignal(tw.callbacks.Callback):
    def __init__(self, step, sig):
        self.step, self.sig = step, sig

    def on_batch_end(self, trainer, step, loss, output, target):
        if trainer.global_step == self.step:
            os.kill(os.getpid(), self.sig)


def test_sigterm_saves_at_the_end_of_the_step_and_resume_matches(
    tmp_path, tiny_classification, tiny_mlp
):
    def _fit(out, callbacks=(), resume=False):
        return tw.fit(
            tiny_mlp(3, 8),
            tiny_classification(64, 3),
            epochs=3,
            batch_size=8,
            verbose=False,
            out_dir=out,
            callbacks=list(callbacks),
            resume=resume,
        )

    full = _fit(tmp_path / "full")
    stopped = _fit(tmp_path / "run", [SendSignal(11, signal.SIGTERM)])
    assert stopped.interrupted and len(stopped.history) == 1
    assert "stopped by SIGTERM at step 11" in stopped.stop_reason
    assert "resume=True" in stopped.stop_reason
    assert (tmp_path / "run" / "checkpoints" / "step-000000011").is_dir()
    assert not (tmp_path / "run" / "model.safetensors").exists()  # no "final" weights yet
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored
    resumed = _fit(tmp_path / "run", resume=True)
    for a, b in zip(full.model.parameters(), resumed.model.parameters()):
        assert torch.equal(a, b)


def test_cli_ctrl_c_exits_with_a_resume_command(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "data: {name: circles}\nmodel: {name: mlp}\ntraining: {epochs: 100000, progress: lines}\n"
    )
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainwise.cli.main", "run", str(cfg), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while (
        not list((out / "checkpoints").glob("step-*")) if (out / "checkpoints").exists() else True
    ):
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert f"Resume with: trainwise run {cfg} --resume --out {out}" in err
    assert "Traceback" not in err
