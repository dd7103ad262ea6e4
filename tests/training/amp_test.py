"""Mixed precision: the precision table, bf16 autocast really used and still converging on CPU,
fp16 with a GradScaler whose state survives resume exactly."""

import json

import pytest
import torch
from torch import nn

import trainwise as tw
from trainwise.errors import ConfigError
from trainwise.training.amp import resolve_precision, tf32_mode
from trainwise.training.batches import TensorBatches
from trainwise.training.trainer import Trainer

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize(
    "name, dtype, scaler",
    [("fp32", None, False), ("bf16", torch.bfloat16, False), ("fp16", torch.float16, True)],
)
def test_precision_table_on_cpu(name, dtype, scaler):
    p = resolve_precision(name, "cpu")
    assert (p.name, p.dtype, p.uses_scaler) == (name, dtype, scaler)
    assert (p.make_scaler() is not None) == scaler


def test_auto_is_fp32_on_cpu_and_unknown_names_are_refused():
    assert resolve_precision("auto", "cpu").dtype is None
    with pytest.raises(ConfigError, match="training.precision: 'fp8' is not allowed; allowed"):
        resolve_precision("fp8", "cpu")


class DtypeSpy(nn.Module):
    """Records the dtype flowing through it (autocast makes Linear outputs bf16)."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, x.dtype))
        return x


def _problem():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 8, generator=g)
    w = torch.randn(8, 3, generator=g)
    y = (x @ w).argmax(dim=1)  # linearly separable, 3 classes
    return x, y


def _train(precision, epochs=15):
    torch.manual_seed(0)
    spy = DtypeSpy()
    model = nn.Sequential(nn.Linear(8, 32), spy, nn.ReLU(), nn.Linear(32, 3))
    x, y = _problem()
    trainer = Trainer(
        model,
        torch.optim.Adam(model.parameters(), lr=1e-2),
        nn.CrossEntropyLoss(),
        precision=precision,
    )
    trainer.fit(TensorBatches(x, y, 64, seed=0), TensorBatches(x, y, 256, False), epochs=epochs)
    return trainer, spy


def test_bf16_autocast_is_used_and_training_still_converges():
    fp32, spy32 = _train("fp32")
    bf16, spy16 = _train("bf16")
    assert {d for _, d in spy32.seen} == {torch.float32}
    assert {d for _, d in spy16.seen} == {torch.bfloat16}  # training and validation
    first, last = bf16.history[0]["loss"], bf16.history[-1]["loss"]
    assert last < 0.25 * first
    # within bf16's ~3 significant digits of what fp32 reaches on the same problem
    assert abs(last - fp32.history[-1]["loss"]) < 0.05
    assert bf16.history[-1]["val_accuracy"] > 0.9
    assert all(p.dtype == torch.float32 for p in bf16.model.parameters())  # master weights
    out = bf16.predict(torch.randn(5, 8))
    assert out.dtype == torch.float32 and out.shape == (5, 3)


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 6, generator=g)
    return x, (x[:, 0] > 0).long()


class InterruptAt(tw.callbacks.Callback):
    def __init__(self, step):
        self.step = step

    def on_batch_end(self, trainer, step, loss, output, target):
        if trainer.global_step == self.step:
            trainer.interrupt("test interrupt")


def _fit_fp16(out, callbacks=(), resume=False):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))
    x, y = _data()
    return tw.fit(
        model,
        (100 * x, y),  # large inputs: fp16 gradients overflow at the initial scale 2**16
        validation_split=0.25,
        epochs=3,
        batch_size=16,
        lr=1e-2,
        precision="fp16",
        callbacks=list(callbacks),
        verbose=False,
        out_dir=out,
        resume=resume,
        checkpoint_every_steps=1,
        seed=2,
    )


def test_fp16_scaler_state_is_checkpointed_and_resume_is_exact(tmp_path):
    full = _fit_fp16(tmp_path / "full")
    log = [
        json.loads(line) for line in (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()
    ]
    # the scaler backs off during epochs 1 and 2, so the scale a resumed run starts from matters
    assert [h["grad_scale"] for h in log] == [8192.0, 2048.0, 2048.0]
    part = _fit_fp16(tmp_path / "part", callbacks=[InterruptAt(4)])
    assert part.interrupted
    resumed = _fit_fp16(tmp_path / "part", resume=True)
    for a, b in zip(full.model.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.equal(a, b)
    assert full.lr_steps == resumed.lr_steps


def test_scaler_state_round_trips_through_trainer_state_dict():
    model = nn.Linear(6, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), precision="fp16")
    trainer.scaler.load_state_dict({**trainer.scaler.state_dict(), "scale": 1024.0})
    state = trainer.state_dict()
    assert state["scaler"]["scale"] == 1024.0
    other = Trainer(model, opt, nn.CrossEntropyLoss(), precision="fp16")
    other.load_state_dict(state)
    assert other.scaler.get_scale() == 1024.0
    assert Trainer(model, opt, nn.CrossEntropyLoss()).state_dict()["scaler"] is None


def test_tf32_mode_sets_and_restores_torch_setting():
    matmul = torch.backends.cuda.matmul
    field = "fp32_precision" if hasattr(matmul, "fp32_precision") else "allow_tf32"
    before = getattr(matmul, field)
    with tf32_mode(True):
        assert getattr(matmul, field) in ("tf32", True)
    assert getattr(matmul, field) == before
    with tf32_mode(False):
        assert getattr(matmul, field) in ("ieee", False)
    with tf32_mode(None):  # the default: torch's setting is left alone
        assert getattr(matmul, field) == before
    assert getattr(matmul, field) == before


class TimesThousand(nn.Module):
    """Cross-entropy x 1000: fp16 gradients overflow at the scaler's initial scale 2**16."""

    def forward(self, out, target):
        return nn.functional.cross_entropy(out, target) * 1000


def test_fp16_skipped_steps_are_counted_logged_and_not_a_doctor_finding():
    torch.manual_seed(0)
    x = torch.randn(256, 20)
    y = (x[:, :10].sum(1) > 0).long()
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 2))
    result = tw.fit(
        model, (x, y), loss=TimesThousand(), task="classification", epochs=2, batch_size=32,
        precision="fp16", verbose=False, doctor={"probe_every": 4},
    )  # fmt: skip
    skipped = [h["skipped_steps"] for h in result.history]
    # each overflow halves the scale (growth needs 2000 clean steps): 2**16 -> 2**8 is 8 skips
    assert result.history[-1]["grad_scale"] == 256.0 and sum(skipped) == 8
    assert skipped[0] >= 4  # most in the first epoch, while the scale is far too large
    # the skipped steps' infinite gradients are the scaler's, not exploding gradients, and
    # their unchanged weights are not frozen parameters; the probes moved to the next step
    codes = {f.code for f in result.findings}
    confusable = {"exploding_gradients", "params_not_updating", "optimizer_not_stepping"}
    assert not codes & (confusable | {"nan_loss"}), codes
    # the first 8 steps are all probed, so most skips fell on probes
    assert 4 <= result.doctor.skipped_probes <= 8
    log = result.doctor.probe_log
    assert len(log) >= 3  # the moved probes read clean steps: finite gradient norms
    assert all(v is not None for r in log for v in r["grad_norm"].values())


def test_skipped_steps_count_survives_a_mid_epoch_resume():
    model = nn.Linear(6, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), precision="fp16")
    trainer._skipped = torch.tensor(3.0)
    other = Trainer(model, opt, nn.CrossEntropyLoss(), precision="fp16")
    other.load_state_dict(trainer.state_dict())
    assert float(other._skipped) == 3.0
