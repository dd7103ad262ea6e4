"""No host sync inside an ordinary training step on CUDA: torch's sync debug mode set to
"error" from the start of each step (and through the next batch's fetch and pinned copy)
to its end raises on any ``.item()``, blocking copy to the host or synchronize; it must
raise nowhere. Checkpoint and epoch-end work is outside the window (that is where reads
belong). The CPU-side counter of the same budget is tests/training/host_sync_test.py."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import trainwise as tw
from trainwise.doctor.probes import ProbeSchedule


class SyncWindow:
    """Turns sync debug mode "error" on at the first batch-start listener of a step and off
    after the last batch-end one of an epoch's last step (on again for the next fetch)."""

    def __init__(self, skip=lambda step: False):
        self.steps = 0
        self.skip = skip  # steps allowed to read (the doctor's probed steps)

    def callbacks(self):
        window = self

        class First(tw.callbacks.Callback):
            order = 10**9

            def on_batch_start(self, trainer, step, batch):
                torch.cuda.set_sync_debug_mode(0 if window.skip(step) else "error")

        class Last(tw.callbacks.Callback):
            order = -(10**9)

            def on_batch_end(self, trainer, step, loss, output, target):
                window.steps += 1
                last = trainer.batches_done >= len(trainer.train_batches)
                quiet = last or window.skip(step + 1)
                torch.cuda.set_sync_debug_mode(0 if quiet else "error")

            def on_fit_end(self, trainer):
                torch.cuda.set_sync_debug_mode(0)

        return [First(), Last()]


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(640, 1, 40, generator=g)
    return x, (x[:, 0, :20].sum(1) > 0).long() + 2 * (x[:, 0, 20:].sum(1) > 0).long()


def _model():
    return nn.Sequential(
        nn.Conv1d(1, 32, 5, padding=2), nn.BatchNorm1d(32), nn.GELU(), nn.Dropout(0.1),
        nn.Conv1d(32, 32, 5, padding=2), nn.GELU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(),
        nn.Linear(32, 4),
    )  # fmt: skip


@pytest.mark.parametrize(
    "extra",
    [{}, {"grad_clip_norm": 1.0}, {"precision": "bf16"}, {"accumulate_steps": 2}],
    ids=["default", "clip", "bf16", "accumulate"],
)
def test_no_sync_inside_an_ordinary_step(tmp_path, extra):
    if extra.get("precision") == "bf16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bf16")
    window = SyncWindow()
    x, y = _data()
    try:
        tw.fit(
            _model(), (x[:512], y[:512]), (x[512:], y[512:]), epochs=2, batch_size=64,
            optimizer={"name": "adamw", "lr": 3e-3, "weight_decay": 0.05}, schedule="onecycle",
            loss={"name": "cross_entropy", "label_smoothing": 0.1}, doctor=False,
            verbose=False, device="cuda", callbacks=window.callbacks(), out_dir=tmp_path / "r",
            **extra,
        )  # fmt: skip
    finally:
        torch.cuda.set_sync_debug_mode(0)
    assert window.steps > 0


def test_fp16_syncs_only_inside_torchs_grad_scaler(tmp_path):
    # GradScaler.step reads its overflow flag (torch's design, unless the optimizer is fused):
    # the error names torch's grad_scaler, never trainwise
    window = SyncWindow()
    x, y = _data()
    with pytest.raises(RuntimeError) as err:
        try:
            tw.fit(_model(), (x, y), epochs=1, batch_size=64, precision="fp16", doctor=False,
                   verbose=False, device="cuda", callbacks=window.callbacks())  # fmt: skip
        finally:
            torch.cuda.set_sync_debug_mode(0)
    frames = [f.filename for f in err.traceback]
    culprit = next(f for f in reversed(frames) if "site-packages" in f or "trainwise" in f)
    assert "grad_scaler" in culprit, frames


def test_no_sync_inside_an_ordinary_step_with_the_doctor_on(tmp_path):
    # the doctor records an ordinary step and reads its window at a probe, every read_every
    # steps or at the epoch's end: with read_every above the run's length, every step that
    # is not probed must run without a host sync (the CPU count: tests/training/host_sync_test.py)
    schedule = ProbeSchedule(every=8)
    window = SyncWindow(skip=schedule.is_probe)
    x, y = _data()
    try:
        tw.fit(
            _model(), (x[:512], y[:512]), (x[512:], y[512:]), epochs=2, batch_size=64,
            optimizer={"name": "adamw", "lr": 3e-3, "weight_decay": 0.05}, schedule="onecycle",
            doctor={"probe_every": 8, "read_every": 1000}, echo=lambda *_: None,
            verbose=False, device="cuda", callbacks=window.callbacks(), out_dir=tmp_path / "r",
        )  # fmt: skip
    finally:
        torch.cuda.set_sync_debug_mode(0)
    assert window.steps > 0
