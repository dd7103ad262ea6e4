"""Resume continues bit for bit: interrupt a run at several points (in process), resume, and
compare with an uninterrupted run. The SIGKILL version is in kill_resume_test.py."""

import json

import pytest
import torch

import trainwise as tw


def _augment(x):
    return x + 0.05 * torch.randn_like(x)  # draws from the global RNG every step


@pytest.fixture
def fit(tiny_classification, tiny_mlp):
    """4 epochs of 5 steps with a checkpoint after every step."""

    def run(out, callbacks=(), resume=False):
        x, y = tiny_classification(96, 6, label=lambda x: x[:, 0] * x[:, 1] > 0)
        return tw.fit(
            # dropout + batchnorm: RNG and buffers must both be restored exactly
            tiny_mlp(6, 16, seed=1, norm=True, dropout=0.3),
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

    return run


def _log(path):
    return [
        {k: v for k, v in json.loads(line).items() if k != "time"}
        for line in (path / "metrics.jsonl").read_text().splitlines()
    ]


@pytest.mark.parametrize("stop_step", [1, 5, 9, 10, 17])  # 5 batches/epoch: 5 and 10 end epochs
def test_interrupted_then_resumed_equals_uninterrupted(tmp_path, stop_step, fit, interrupt_at):
    full = fit(tmp_path / "full")
    part = fit(tmp_path / "part", callbacks=[interrupt_at(stop_step)])
    assert part.interrupted
    resumed = fit(tmp_path / "part", resume=True)
    for a, b in zip(full.model.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.equal(a, b)
    assert _log(tmp_path / "full") == _log(tmp_path / "part")
    assert full.lr_steps == resumed.lr_steps
