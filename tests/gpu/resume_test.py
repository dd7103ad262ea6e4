"""Exact resume on CUDA: with deterministic algorithms on, a run stopped mid-epoch and resumed
from its checkpoint ends with the same weights, bit for bit, as the uninterrupted run."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import trainwise as tw


class InterruptAt(tw.callbacks.Callback):
    def __init__(self, step):
        self.step = step

    def on_batch_end(self, trainer, step, loss, output, target):
        if trainer.global_step == self.step:
            trainer.interrupt("test interrupt")


@pytest.fixture
def deterministic():
    old = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    yield
    torch.use_deterministic_algorithms(old)


def _fit(out, precision, callbacks=(), resume=False):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(512, 1, 32, generator=g)
    y = (x[:, 0, :16].mean(1) > x[:, 0, 16:].mean(1)).long()
    model = nn.Sequential(
        nn.Conv1d(1, 16, 5, padding=2), nn.BatchNorm1d(16), nn.GELU(), nn.Dropout(0.1),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(16, 2),
    )  # fmt: skip
    return tw.fit(
        model, (x, y), validation_split=0.2, epochs=3, batch_size=32, precision=precision,
        optimizer="adamw", schedule="onecycle", grad_clip_norm=1.0, device="cuda",
        callbacks=list(callbacks), verbose=False, out_dir=out, resume=resume,
        checkpoint_every_steps=5, seed=1,
    )  # fmt: skip


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_resume_mid_epoch_is_bitwise_exact(tmp_path, deterministic, precision):
    full = _fit(tmp_path / "full", precision)
    part = _fit(tmp_path / "part", precision, callbacks=[InterruptAt(17)])
    assert part.interrupted
    resumed = _fit(tmp_path / "part", precision, resume=True)
    for (name, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name
    assert full.lr_steps == resumed.lr_steps
    drop = ("time",)
    assert [{k: v for k, v in h.items() if k not in drop} for h in full.history] == [
        {k: v for k, v in h.items() if k not in drop} for h in resumed.history
    ]
