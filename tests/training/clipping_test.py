"""Gradient clipping by value and by global norm, and the pre-clip norm in the epoch logs."""

import json

import pytest
import torch
from torch import nn

import trainwise as tw
from trainwise.callbacks.callback import Callback
from trainwise.training.batches import TensorBatches
from trainwise.training.trainer import Trainer

pytestmark = pytest.mark.usefixtures("one_thread")


def _global_norm(model):
    return float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()])))


class GradSpy(Callback):
    """Gradient norms and largest entries before clipping (after backward) and after."""

    def __init__(self):
        self.before, self.after, self.max_before, self.max_after = [], [], [], []

    def on_after_backward(self, trainer, step, loss):
        self.before.append(_global_norm(trainer.model))
        self.max_before.append(max(float(p.grad.abs().max()) for p in trainer.model.parameters()))

    def on_before_optimizer_step(self, trainer, step):
        self.after.append(_global_norm(trainer.model))
        self.max_after.append(max(float(p.grad.abs().max()) for p in trainer.model.parameters()))


def _noise(tiny_classification, n):
    """Random labels and inputs scaled by 3: gradients large enough to clip."""
    x, y = tiny_classification(n, 4, classes=2)
    return 3 * x, y


@pytest.fixture
def train(tiny_classification, tiny_mlp):
    """2 epochs of 4 SGD steps with ``clip`` options; returns (trainer, GradSpy)."""

    def run(epochs=2, **clip):
        x, y = _noise(tiny_classification, 32)
        model = tiny_mlp(4, 8)
        spy = GradSpy()
        trainer = Trainer(
            model,
            torch.optim.SGD(model.parameters(), lr=0.1),
            nn.CrossEntropyLoss(),
            callbacks=[spy],
            **clip,
        )
        trainer.fit(TensorBatches(x, y, 8, seed=0), epochs=epochs)
        return trainer, spy

    return run


def test_norm_clipping_logs_the_pre_clip_norm_mean_and_max_per_epoch(train):
    trainer, spy = train(grad_clip_norm=0.5)
    steps = 4  # per epoch
    for epoch, logs in enumerate(trainer.history):
        norms = spy.before[epoch * steps : (epoch + 1) * steps]
        assert min(norms) > 0.5  # so clipping acted on every step
        assert logs["grad_norm"] == pytest.approx(sum(norms) / steps, rel=1e-5)
        assert logs["grad_norm_max"] == pytest.approx(max(norms), rel=1e-5)
    assert all(n == pytest.approx(0.5, rel=1e-5) for n in spy.after)  # clipped to the norm
    assert float(trainer.last_grad_norm) == pytest.approx(spy.before[-1], rel=1e-5)


def test_value_clipping_caps_every_entry_and_logs_no_norm(train):
    trainer, spy = train(grad_clip_value=0.05)
    assert max(spy.max_before) > 0.05
    assert max(spy.max_after) == pytest.approx(0.05)  # capped at the value (in float32)
    assert "grad_norm" not in trainer.history[0]


def test_without_clipping_gradients_are_untouched(train):
    trainer, spy = train()
    assert spy.before == spy.after
    assert "grad_norm" not in trainer.history[0] and trainer.last_grad_norm is None


def test_epoch_norm_statistics_survive_a_mid_epoch_resume(
    tmp_path, tiny_classification, tiny_mlp, interrupt_at
):
    def fit(out, callbacks=(), resume=False):
        x, y = _noise(tiny_classification, 40)
        return tw.fit(
            tiny_mlp(4, 8),
            (x, y),
            epochs=3,
            batch_size=8,
            grad_clip_norm=0.5,
            callbacks=list(callbacks),
            verbose=False,
            out_dir=out,
            resume=resume,
            checkpoint_every_steps=1,
        )

    fit(tmp_path / "full")
    assert fit(tmp_path / "part", callbacks=[interrupt_at(6)]).interrupted  # mid epoch 2
    fit(tmp_path / "part", resume=True)

    def log(run):
        lines = (tmp_path / run / "metrics.jsonl").read_text().splitlines()
        return [(d["grad_norm"], d["grad_norm_max"]) for d in map(json.loads, lines)]

    assert len(log("full")) == 3
    assert log("full") == log("part")
