"""The NaN replay of a window read late: the same diagnosis as an eager reading, and a run
that is not disturbed by it (weights, optimizer, history bit for bit)."""

from __future__ import annotations

import torch
from torch import nn

import trainwise as tw
from trainwise.callbacks.callback import Callback
from trainwise.doctor.callback import DoctorCallback
from trainwise.doctor.live import nan_source
from trainwise.doctor.probes import ProbeSchedule
from trainwise.doctor.trainer_replay import TrainerReplay


class Log(nn.Module):
    def forward(self, x):
        return torch.log(x)


def _log_fault(tmp_path, read_every=None):
    """A log layer whose input SGD drives negative at step 36 (not a probed step)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(640, 8, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long()
    x = x.abs() + 1.0
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 8), Log(), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 2))
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(8) * 0.5)
        model[0].bias.fill_(0.5)
    doctor = {"probe_every": 16, **({"read_every": read_every} if read_every else {})}
    return tw.fit(model, (x[:512], y[:512]), (x[512:], y[512:]), epochs=3, batch_size=32,
                  optimizer={"name": "sgd", "lr": 0.3}, doctor=doctor, verbose=False,
                  echo=lambda *_: None, out_dir=tmp_path / str(read_every))  # fmt: skip


def test_a_nan_read_late_is_diagnosed_as_the_eager_reading_does(tmp_path, monkeypatch, one_thread):
    eager = _log_fault(tmp_path, read_every=1)
    replays = []
    real = TrainerReplay.locate
    monkeypatch.setattr(TrainerReplay, "locate", lambda s, e: replays.append(e.step) or real(s, e))
    lazy = _log_fault(tmp_path)
    (f,) = [f for f in lazy.findings if f.code == "nan_loss"]
    assert replays == [36] and not ProbeSchedule(every=16).is_probe(36)
    assert [g.to_dict() for g in lazy.findings] == [g.to_dict() for g in eager.findings]
    assert lazy.doctor.detected_at == eager.doctor.detected_at
    # as the eager reading at ff6db32 named it
    assert (f.step, f.where, f.evidence["replayed_with"]) == (36, "1", "pre-update weights")
    assert "first non-finite values appear in the output of module '1' (Log)" in f.message


class _ForceReplay(Callback):
    """At step ``at`` (pending, not yet read) replay the window to ``at - 1``, and keep the
    weights before that step's update as the live run had them."""

    order = -100  # after the doctor's callback

    def __init__(self, at: int):
        self.at, self.live_pre, self.replayed_pre = at, None, None

    def on_after_backward(self, trainer, step, loss):
        if step == self.at - 1:
            self.live_pre = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}

    def on_batch_end(self, trainer, step, loss, output, target):
        if step != self.at:
            return
        cb = next(c for c in trainer.callbacks if isinstance(c, DoctorCallback))
        entry = next(e for e in cb.doctor.reader.pending if e.step == self.at - 1)
        kept = []
        real = nan_source.keep_pre_update

        def spy(layout):
            kept.append(real(layout))
            return kept[-1]

        nan_source.keep_pre_update = spy
        try:
            cb._replay.locate(entry)
        finally:
            nan_source.keep_pre_update = real
        self.replayed_pre = kept[0]


def _healthy(tmp_path, name, callbacks=()):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(600, 1, 16, generator=g)
    y = (x[:, 0, :8].sum(1) > 0).long()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(1, 4, 3, padding=1), nn.BatchNorm1d(4), nn.GELU(),
                          nn.Dropout(0.2), nn.Flatten(), nn.Linear(64, 2))  # fmt: skip
    return tw.fit(model, (x, y), epochs=2, batch_size=32, accumulate_steps=2,
                  grad_clip_norm=0.5, schedule="onecycle", callbacks=list(callbacks),
                  optimizer={"name": "adamw", "lr": 3e-3}, doctor={"probe_every": 16},
                  verbose=False, echo=lambda *_: None, out_dir=tmp_path / name)  # fmt: skip


def test_a_replay_rebuilds_the_step_and_leaves_the_run_bit_for_bit(tmp_path, one_thread):
    plain = _healthy(tmp_path, "plain")
    force = _ForceReplay(at=19)  # 17-19 ordinary (probes at 16 and 20): a window of three
    replayed = _healthy(tmp_path, "replayed", [force])
    assert force.replayed_pre is not None
    for name, value in force.live_pre.items():
        assert torch.equal(force.replayed_pre[name], value), name
    for a, b in zip(plain.model.state_dict().values(), replayed.model.state_dict().values()):
        assert torch.equal(a, b)

    def logs(result):
        return [{k: v for k, v in h.items() if k != "time"} for h in result.history]

    assert logs(plain) == logs(replayed)
