"""CUDA <-> CPU checkpoints: a run stopped on the GPU resumes on the CPU and the reverse; a
checkpoint's tensors load on the CPU whatever device wrote them."""

from __future__ import annotations

import torch
from torch import nn

import trainwise as tw
from trainwise.checkpoint.manager import CheckpointManager


class InterruptAt(tw.callbacks.Callback):
    def __init__(self, step):
        self.step = step

    def on_batch_end(self, trainer, step, loss, output, target):
        if trainer.global_step == self.step:
            trainer.interrupt("test interrupt")


def _fit(out, device, callbacks=(), resume=False, precision="fp32"):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(384, 8, generator=g)
    y = (x[:, :4].sum(1) > 0).long()
    model = nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 2))
    return tw.fit(
        model, (x, y), validation_split=0.25, epochs=3, batch_size=32, lr=1e-2,
        grad_clip_norm=1.0, precision=precision, device=device, callbacks=list(callbacks),
        verbose=False, out_dir=out, resume=resume, checkpoint_every_steps=4, seed=0,
    )  # fmt: skip


def _stopped_on(device, out, precision="fp32"):
    part = _fit(out, device, callbacks=[InterruptAt(10)], precision=precision)
    assert part.interrupted
    return part


def test_gpu_checkpoint_loads_on_cpu_and_resumes_there(tmp_path):
    _stopped_on("cuda", tmp_path / "run", precision="fp16")
    path, model_state, state = CheckpointManager(tmp_path / "run" / "checkpoints").latest_good()
    assert {t.device.type for t in model_state.values()} == {"cpu"}
    assert "cuda" in state["trainer"]["rng"]  # written by a GPU machine
    # fp16 on the CPU: the GradScaler's state (a float scale) carries over as well
    resumed = _fit(tmp_path / "run", "cpu", resume=True, precision="fp16")
    assert not resumed.interrupted and len(resumed.history) == 3
    assert all(p.device.type == "cpu" for p in resumed.model.parameters())
    assert resumed.history[-1]["val_accuracy"] > 0.8


def test_cpu_checkpoint_resumes_on_the_gpu(tmp_path):
    _stopped_on("cpu", tmp_path / "run")
    resumed = _fit(tmp_path / "run", "cuda", resume=True)
    assert not resumed.interrupted and len(resumed.history) == 3
    assert all(p.device.type == "cuda" for p in resumed.model.parameters())
    assert resumed.history[-1]["val_accuracy"] > 0.8


def test_resume_on_the_gpu_continues_where_the_cpu_stopped(tmp_path):
    # the same run, CPU throughout vs switched to the GPU at step 10: equal up to the float
    # differences of the GPU's kernels
    cpu = _fit(tmp_path / "cpu", "cpu")
    _stopped_on("cpu", tmp_path / "mixed")
    mixed = _fit(tmp_path / "mixed", "cuda", resume=True)
    for a, b in zip(cpu.model.state_dict().values(), mixed.model.state_dict().values()):
        assert torch.allclose(a.float(), b.float().cpu(), rtol=1e-3, atol=1e-4)
