import errno
import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

import trainwise.checkpoint.store as store
from trainwise.checkpoint import require_safe_torch
from trainwise.checkpoint.manager import CheckpointManager
from trainwise.checkpoint.store import MANIFEST, read_checkpoint, write_checkpoint
from trainwise.checkpoint.weights import load_weights
from trainwise.errors import CheckpointError


class Payload:
    """Unpickling this creates the sentinel file: proof that code ran."""

    def __init__(self, sentinel):
        self.sentinel = str(sentinel)

    def __reduce__(self):
        return (Path.touch, (Path(self.sentinel),))


def _state():
    return {
        "step": 3,
        "tuple": (1, (2.5, "x")),
        "int_keys": {0: torch.ones(2), 7: {"a": None}},
        "np": np.arange(5, dtype=np.uint32),
        "nan": math.nan,
        "rng": torch.get_rng_state(),
    }


def test_round_trip_keeps_types_and_no_pickle_files(tmp_path):
    model = {"w": torch.randn(3, 2), "b": torch.zeros(2)}
    path = write_checkpoint(tmp_path / "step-000000003", model, _state())
    m, s = read_checkpoint(path)
    assert torch.equal(m["w"], model["w"])
    assert s["tuple"] == (1, (2.5, "x")) and isinstance(s["tuple"][1], tuple)
    assert torch.equal(s["int_keys"][0], torch.ones(2)) and s["int_keys"][7] == {"a": None}
    assert s["np"].dtype == np.uint32 and s["np"].tolist() == [0, 1, 2, 3, 4]
    assert math.isnan(s["nan"]) and torch.equal(s["rng"], torch.get_rng_state())
    names = sorted(p.name for p in path.iterdir())
    assert names == ["manifest.json", "model.safetensors", "state.json", "state.safetensors"]
    for p in path.iterdir():
        assert not p.read_bytes().startswith(b"\x80")  # no pickle protocol header anywhere


def _plant(path: Path, name: str, data: bytes):
    """Replace a file and re-sign the manifest so the loader really parses the payload."""
    (path / name).write_bytes(data)
    manifest = json.loads((path / MANIFEST).read_text())
    manifest["files"][name] = {"size": len(data), "sha256": store._sha256(path / name)}
    (path / MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize("name", ["model.safetensors", "state.safetensors", "state.json"])
@pytest.mark.parametrize("kind", ["pickle", "torch.save"])
def test_pickle_payload_is_refused_and_never_runs(tmp_path, name, kind):
    sentinel = tmp_path / "PWNED"
    path = write_checkpoint(tmp_path / "ck", {"w": torch.ones(1)}, {"a": 1})
    if kind == "pickle":
        data = pickle.dumps(Payload(sentinel))
    else:
        torch.save({"x": Payload(sentinel)}, tmp_path / "evil.pt")
        data = (tmp_path / "evil.pt").read_bytes()
    _plant(path, name, data)
    for extra in ("model.pt", "checkpoint.pkl", "optimizer.pt"):  # files a loader might try
        (path / extra).write_bytes(pickle.dumps(Payload(sentinel)))
    with pytest.raises(CheckpointError, match=name.replace(".", r"\.") + "|tensor file|state.json"):
        read_checkpoint(path)
    with pytest.raises(CheckpointError):
        load_weights(torch.nn.Linear(1, 1), path / "model.safetensors")
    assert not sentinel.exists()


def test_load_weights_refuses_a_pickle_named_safetensors(tmp_path):
    sentinel = tmp_path / "PWNED"
    f = tmp_path / "model.safetensors"
    f.write_bytes(pickle.dumps(Payload(sentinel)))
    with pytest.raises(CheckpointError, match="not a valid safetensors file"):
        load_weights(torch.nn.Linear(1, 1), f)
    assert not sentinel.exists()


def test_failed_save_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    mgr = CheckpointManager(tmp_path, echo=lambda *_: None)
    mgr.save(1, {"w": torch.ones(2)}, {"step": 1})
    calls = {"n": 0}
    real = store.save_file

    def failing(tensors, filename, *a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(tensors, filename, *a, **k)

    monkeypatch.setattr(store, "save_file", failing)
    with pytest.raises(OSError) as info:
        mgr.save(2, {"w": torch.zeros(2)}, {"step": 2})
    assert info.value.errno == errno.ENOSPC
    assert [p.name for p in tmp_path.iterdir()] == ["step-000000001"]  # no staging left
    path, model_state, state = mgr.latest_good()
    assert path.name == "step-000000001" and state == {"step": 1}


def test_abandoned_staging_is_cleaned_and_bad_checkpoints_are_skipped(tmp_path):
    msgs = []
    mgr = CheckpointManager(tmp_path, keep=5, echo=msgs.append)
    for step in (1, 2, 3):
        mgr.save(step, {"w": torch.full((2,), float(step))}, {"step": step})
    (tmp_path / ".staging-step-000000004-123").mkdir()
    (mgr.path_for(3) / MANIFEST).unlink()  # a save that never finished its manifest
    raw = bytearray((mgr.path_for(2) / "model.safetensors").read_bytes())
    raw[-1] ^= 0xFF  # flip a bit in the weights
    (mgr.path_for(2) / "model.safetensors").write_bytes(bytes(raw))
    mgr = CheckpointManager(tmp_path, keep=5, echo=msgs.append)
    assert not (tmp_path / ".staging-step-000000004-123").exists()
    path, model_state, state = mgr.latest_good()
    assert path.name == "step-000000001" and state == {"step": 1}
    text = "\n".join(msgs)
    assert "skipping checkpoint step-000000003: " in text and "no manifest" in text
    assert "skipping checkpoint step-000000002: " in text and "does not match its manifest" in text


def test_keep_prunes_old_checkpoints_and_refuses_overwrite(tmp_path):
    mgr = CheckpointManager(tmp_path, keep=2, echo=lambda *_: None)
    for step in range(1, 5):
        mgr.save(step, {"w": torch.ones(1)}, {})
    assert [p.name for p in mgr.checkpoints()] == ["step-000000003", "step-000000004"]
    assert mgr.save(4, {"w": torch.ones(1)}, {}) is None
    with pytest.raises(CheckpointError, match="already exists"):
        write_checkpoint(mgr.path_for(4), {"w": torch.ones(1)}, {})


def test_old_torch_is_refused():
    with pytest.raises(CheckpointError, match=r"torch 2.5.1\+cpu is too old"):
        require_safe_torch("2.5.1+cpu")
    require_safe_torch("2.6.0")
    require_safe_torch("2.13.0+cpu")


def test_torch_load_is_never_used_without_weights_only():
    src = Path(__file__).parents[2] / "src"
    for f in src.rglob("*.py"):
        text = f.read_text()
        for line in text.splitlines():
            if "torch.load(" in line:
                assert "weights_only=True" in line, f"{f}: {line.strip()}"
