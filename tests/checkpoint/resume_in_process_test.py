"""Resume continues bit for bit: interrupt a run at several points (in process), resume, and
compare with an uninterrupted run. The SIGKILL version is in kill_resume_test.py."""

import json

import pytest
import torch
from torch import nn

import trainwise as tw


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 6, generator=g)
    y = (x[:, 0] * x[:, 1] > 0).long()
    return x, y


def _model():
    torch.manual_seed(1)
    # dropout + batchnorm: RNG and buffers must both be restored exactly
    return nn.Sequential(
        nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2)
    )


def _augment(x):
    return x + 0.05 * torch.randn_like(x)  # draws from the global RNG every step


class InterruptAt(tw.callbacks.Callback):
    def __init__(self, step):
        self.step = step

    def on_batch_end(self, trainer, step, loss, output, target):
        if trainer.global_step == self.step:
            trainer.interrupt("test interrupt")


def _fit(out, callbacks=(), resume=False):
    x, y = _data()
    return tw.fit(
        _model(),
        (x, y),
        validation_split=0.25,
        epochs=4,
        batch_size=16,
        lr=3e-2,
        schedule={"name": "cosine", "warmup_steps": 3},
        augment=_augment,
        callbacks=[tw.callbacks.EarlyStopping(patience=10), *callbacks],
        verbose=False,
        out_dir=out,
        resume=resume,
        checkpoint_every_steps=1,
        seed=3,
    )


def _log(path):
    return [
        {k: v for k, v in json.loads(line).items() if k != "time"}
        for line in (path / "metrics.jsonl").read_text().splitlines()
    ]


@pytest.mark.parametrize("stop_step", [1, 5, 9, 10, 17])  # 5 batches/epoch: 5 and 10 end epochs
def test_interrupted_then_resumed_equals_uninterrupted(tmp_path, stop_step):
    full = _fit(tmp_path / "full")
    part = _fit(tmp_path / "part", callbacks=[InterruptAt(stop_step)])
    assert part.interrupted
    resumed = _fit(tmp_path / "part", resume=True)
    for a, b in zip(full.model.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.equal(a, b)
    assert _log(tmp_path / "full") == _log(tmp_path / "part")
    assert full.lr_steps == resumed.lr_steps
