"""What a Trainer saves for exact resume: one process as before (no per-rank parts); a
data-parallel checkpoint holds every rank's own parts and refuses another process count
unless allowed."""

import pytest
import torch

import trainwise as tw
from trainwise.checkpoint.manager import CheckpointManager
from trainwise.errors import CheckpointError


def _data():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(40, 4, generator=g)
    return x, (x[:, 0] > 0).long()


def _fit(out, epochs, **extra):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))
    return tw.fit(
        model, _data(), epochs=epochs, batch_size=8, doctor=False, verbose=False,
        out_dir=out, **extra,
    )  # fmt: skip


def _latest_state(out):
    return CheckpointManager(out / "checkpoints", echo=lambda *_: None).latest_good()[2]


def test_one_process_state_has_no_per_rank_parts_and_round_trips(tmp_path):
    _fit(tmp_path / "one", 1)
    state = _latest_state(tmp_path / "one")["trainer"]
    assert "ranks" not in state and "world_size" not in state
    assert set(state["rng"]) >= {"python", "numpy", "torch"}


def test_a_two_process_checkpoint_refuses_one_process_unless_allowed(tmp_path, ranks):
    out = tmp_path / "two"
    ranks(lambda rank: _fit(out, 2).history[-1]["loss"])
    state = _latest_state(out)["trainer"]
    assert state["world_size"] == 2 and len(state["ranks"]) == 2
    assert state["rng"]["python"] == state["ranks"][0]["rng"]["python"]  # top level = rank 0
    with pytest.raises(CheckpointError, match=r"saved by 2 process\(es\) and this run has 1"):
        _fit(out, 3, resume=True)
    result = _fit(out, 3, resume=True, allow_world_size_change=True)
    assert [h["epoch"] for h in result.history] == [1, 2, 3]
