"""One checkpoint = one directory, written atomically, read without running code.

Layout::

    step-000000120/
        model.safetensors   the model's state_dict (plain keys: loadable on its own)
        state.safetensors   every other tensor (optimizer moments, RNG states, EMA, ...)
        state.json          everything else, with references into state.safetensors
        manifest.json       size and SHA-256 of each file above; written last

A save goes to a staging directory beside the target, every file is fsynced, the staging
directory is renamed into place and the parent fsynced: a crash leaves either the old set of
checkpoints or the new one, never half a checkpoint under a final name. A checkpoint is
trusted only if its manifest exists and every file matches it. There is no pickle anywhere:
tensors are read by safetensors (a JSON header and raw bytes), the rest by ``json``.

Devices: every tensor is written from host memory (``.cpu()``), so a checkpoint records no
device, and reading puts the state on the CPU. Each owner then places its part on the device
of the run that resumes: ``model.load_state_dict`` copies into the parameters where they live,
``Optimizer.load_state_dict`` casts its moments to each parameter's device, the Trainer moves
its running sums to its own (RNG states must stay CPU tensors, and a CUDA RNG state is only
restored where torch sees a GPU). A run saved on a GPU thus resumes on a CPU-only machine,
and the reverse; ``map_location`` can put the model's tensors straight onto a device.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from trainwise.checkpoint.fsync import fsync_dir, fsync_file
from trainwise.checkpoint.tree_codec import decode, encode
from trainwise.errors import CheckpointError

FORMAT = "trainwise-checkpoint/1"
MANIFEST = "manifest.json"
FILES = ("model.safetensors", "state.safetensors", "state.json")
STAGING_PREFIX = ".staging-"

# Test hook: the test suite sets this to make a save kill its own process half-way, which is
# the only reliable way to land a SIGKILL "in the middle of a save". Read once per save.
# "1": every save crashes; "once@STEP:PATH": the first save of a step >= STEP to find no file
# at PATH creates it and crashes (a restarted run, which sees the same environment, then saves
# normally).
_CRASH_ENV = "TRAINWISE_TEST_CRASH_IN_SAVE"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _json_dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, allow_nan=True, sort_keys=True))


def write_checkpoint(
    target: Path, model_state: dict[str, torch.Tensor], state: dict[str, Any]
) -> Path:
    """Write a checkpoint directory at ``target`` atomically. ``state`` may nest tensors."""
    target = Path(target)
    if target.exists():
        raise CheckpointError(f"checkpoint {str(target)!r} already exists; refusing to overwrite")
    staging = target.parent / f"{STAGING_PREFIX}{target.name}-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        tensors: dict[str, torch.Tensor] = {}
        tree = encode(state, tensors)
        model = {k: v.detach().cpu().contiguous().clone() for k, v in model_state.items()}
        save_file(model, str(staging / "model.safetensors"))
        _maybe_crash(target.name)
        save_file(tensors, str(staging / "state.safetensors"))
        _json_dump(staging / "state.json", {"format": FORMAT, "state": tree})
        manifest = {"format": FORMAT, "files": {}}
        for name in FILES:
            p = staging / name
            fsync_file(p)
            manifest["files"][name] = {"size": p.stat().st_size, "sha256": _sha256(p)}
        _json_dump(staging / MANIFEST, manifest)
        fsync_file(staging / MANIFEST)
        fsync_dir(staging)
        os.rename(staging, target)
        fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _maybe_crash(name: str) -> None:
    value = os.environ.get(_CRASH_ENV, "")
    if value.startswith("once@"):
        step, path = value[5:].split(":", 1)
        marker = Path(path)
        if marker.exists() or int(name.rsplit("-", 1)[-1]) < int(step):
            return
        marker.touch()
    elif value != "1":
        return
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def verify_checkpoint(path: Path) -> None:
    """Raise CheckpointError unless the manifest exists and every file matches it."""
    path = Path(path)
    mpath = path / MANIFEST
    if not mpath.is_file():
        raise CheckpointError(f"checkpoint {str(path)!r} has no manifest (an unfinished save?)")
    try:
        manifest = json.loads(mpath.read_text())
        files = manifest["files"]
        if manifest.get("format") != FORMAT:
            raise ValueError(f"format {manifest.get('format')!r}, expected {FORMAT!r}")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise CheckpointError(
            f"checkpoint {str(path)!r} has an unreadable manifest: {exc}"
        ) from None
    for name in FILES:
        entry = files.get(name)
        p = path / name
        if entry is None or not p.is_file():
            raise CheckpointError(f"checkpoint {str(path)!r}: {name} is missing")
        if p.stat().st_size != entry["size"] or _sha256(p) != entry["sha256"]:
            raise CheckpointError(
                f"checkpoint {str(path)!r}: {name} does not match its manifest (size or SHA-256); "
                "the file was changed or corrupted"
            )


def read_checkpoint(
    path: Path, map_location: str | torch.device = "cpu"
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Verify, then load ``(model_state, state)``. Never executes code from the files.

    ``map_location`` (default "cpu") is where the model's tensors are loaded; the rest of the
    state always comes back on the CPU (see the module doc: its owners place it).

    Example::

        model_state, state = read_checkpoint("runs/a/checkpoints/step-000000120")
    """
    path = Path(path)
    verify_checkpoint(path)
    device = str(torch.device(map_location))
    try:
        model_state = load_file(str(path / "model.safetensors"), device=device)
        tensors = load_file(str(path / "state.safetensors"), device="cpu")
    except Exception as exc:  # safetensors raises its own types for a bad header
        raise CheckpointError(
            f"checkpoint {str(path)!r}: tensor file is not valid safetensors ({exc})"
        ) from None
    try:
        doc = json.loads((path / "state.json").read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(
            f"checkpoint {str(path)!r}: state.json is not valid JSON ({exc})"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {str(path)!r}: state.json is not a {FORMAT} document")
    return model_state, decode(doc["state"], tensors)
