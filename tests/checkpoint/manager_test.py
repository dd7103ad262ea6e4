"""CheckpointManager: a damaged checkpoint at the step being saved is replaced, not kept."""

import torch

from trainwise.checkpoint.manager import CheckpointManager
from trainwise.checkpoint.store import verify_checkpoint


def test_save_replaces_damaged_checkpoint_at_same_step(tmp_path):
    said = []
    m = CheckpointManager(tmp_path / "ck", keep=3, echo=said.append)
    weights = {"w": torch.ones(3)}
    path = m.save(6, weights, {"step": 6})
    assert m.save(6, weights, {"step": 6}) is None  # a good one is left alone
    f = path / "model.safetensors"
    data = bytearray(f.read_bytes())
    data[-1] ^= 0xFF
    f.write_bytes(bytes(data))
    assert m.save(6, {"w": torch.full((3,), 2.0)}, {"step": 6}) == path
    verify_checkpoint(path)
    assert any("replacing damaged checkpoint step-" in s for s in said)
    _, model_state, _ = m.latest_good()
    assert torch.equal(model_state["w"], torch.full((3,), 2.0))
