"""Checkpoints carry no device: a run saved on a GPU resumes on a CPU-only machine, and the
reverse. Simulated here on CPU (tests/gpu/portability_test.py does it for real on a GPU):
the reading side puts everything on the CPU, the Trainer moves its running sums to its own
device, and a CUDA RNG state is restored only where torch sees a GPU."""

from __future__ import annotations

import shutil

import torch
from torch import nn

import trainwise as tw
from trainwise.checkpoint.manager import CheckpointManager
from trainwise.checkpoint.store import read_checkpoint, write_checkpoint
from trainwise.training import seeding
from trainwise.training.trainer import Trainer


class InterruptAt(tw.callbacks.Callback):
    def __init__(self, step):
        self.step = step

    def on_batch_end(self, trainer, step, loss, output, target):
        if trainer.global_step == self.step:
            trainer.interrupt("test interrupt")


def _fit(out, callbacks=(), resume=False):
    torch.manual_seed(3)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 6, generator=g)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))
    return tw.fit(
        model, (x, (x[:, 0] > 0).long()), epochs=2, batch_size=16, lr=1e-2, grad_clip_norm=1.0,
        callbacks=list(callbacks), verbose=False, out_dir=out, resume=resume,
        checkpoint_every_steps=1, seed=2,
    )  # fmt: skip


def test_read_checkpoint_puts_tensors_on_map_location(tmp_path):
    state = {"sums": {"loss": torch.tensor(2.5)}, "rng": {"torch": torch.get_rng_state()}}
    write_checkpoint(tmp_path / "c", {"w": torch.ones(2)}, state)
    model_state, back = read_checkpoint(tmp_path / "c", map_location="cpu")
    assert model_state["w"].device.type == "cpu"
    assert back["sums"]["loss"].device.type == "cpu" and back["rng"]["torch"].dtype == torch.uint8
    assert CheckpointManager(tmp_path / "m").latest_good(map_location="cpu") is None


def test_trainer_moves_restored_running_sums_to_its_device():
    model = nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    saved = Trainer(model, opt, nn.CrossEntropyLoss(), grad_clip_norm=1.0)
    saved.train_metrics.sums = {"loss": torch.tensor(4.0), "accuracy": torch.tensor(3)}
    saved._norm_sum, saved._norm_max, saved._norm_count = torch.tensor(2.0), torch.tensor(1.5), 2
    state = saved.state_dict()
    # "meta" stands in for a GPU: the sums must follow the trainer's device, not the file's
    on_meta = Trainer(nn.Linear(3, 2), opt, nn.CrossEntropyLoss(), device="meta")
    on_meta.load_state_dict({**state, "rng": seeding.rng_state()})
    assert {v.device.type for v in on_meta.train_metrics.sums.values()} == {"meta"}
    assert on_meta._norm_sum.device.type == on_meta._norm_max.device.type == "meta"


def test_a_checkpoint_with_a_cuda_rng_state_resumes_exactly_on_a_cpu_only_machine(
    tmp_path, monkeypatch
):
    full = _fit(tmp_path / "full")
    part = _fit(tmp_path / "part", callbacks=[InterruptAt(5)])
    assert part.interrupted
    # make the newest checkpoint look as if a GPU machine had written it
    ckpts = CheckpointManager(tmp_path / "part" / "checkpoints")
    newest = ckpts.checkpoints()[-1]
    model_state, state = read_checkpoint(newest)
    state["trainer"]["rng"]["cuda"] = [torch.zeros(16, dtype=torch.uint8)]
    shutil.rmtree(newest)
    write_checkpoint(newest, model_state, state)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    resumed = _fit(tmp_path / "part", resume=True)
    for a, b in zip(full.model.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.equal(a, b)
    assert full.history == [{**h, "time": f["time"]} for h, f in zip(resumed.history, full.history)]


def test_a_cpu_checkpoint_on_a_gpu_machine_leaves_the_cuda_generator_alone(monkeypatch):
    state = seeding.rng_state()
    assert "cuda" not in state or torch.cuda.is_available()
    state.pop("cuda", None)
    calls = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda s: calls.append(s))
    seeding.set_rng_state(state)
    assert calls == []  # nothing to restore: the GPU's generator keeps its seeded state
