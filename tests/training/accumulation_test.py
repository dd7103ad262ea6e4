"""Gradient accumulation: k micro-batches make the same update as one k-times-larger batch;
steps, schedule and events count optimizer steps; resume stays exact."""

import json

import pytest
import torch
from torch import nn

import trainwise as tw
from trainwise.callbacks.callback import Callback
from trainwise.errors import ConfigError
from trainwise.training.batches import TensorBatches
from trainwise.training.trainer import Trainer

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def train(tiny_classification, tiny_mlp):
    """SGD with momentum and a StepLR on n samples of 3 random classes, ``k`` batches a step."""

    def run(n, batch_size, k, epochs=2, callbacks=()):
        x, y = tiny_classification(n, 5, seed=1, classes=3)
        model = tiny_mlp(5, 8, 3, act=nn.Tanh)  # no BatchNorm: k micro-batches = one batch
        opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9)
        trainer = Trainer(
            model,
            opt,
            nn.CrossEntropyLoss(),  # mean-reduced
            scheduler=sched,
            accumulate_steps=k,
            callbacks=callbacks,
        )
        # same seed and n: the same permutation every epoch whatever the batch size
        trainer.fit(TensorBatches(x, y, batch_size, shuffle=True, seed=3), epochs=epochs)
        return trainer

    return run


@pytest.mark.parametrize(
    "n, k",
    [
        (24, 3),  # 6 micro-batches of 4 -> 2 steps of 12 per epoch
        (20, 2),  # 5 micro-batches of 4 -> groups 2, 2, 1 (the last one divided by 1)
    ],
)
def test_k_micro_batches_equal_one_k_times_larger_batch(n, k, train):
    small = train(n, 4, k)
    big = train(n, 4 * k, 1)
    assert small.global_step == big.global_step == 2 * -(-n // (4 * k))
    assert small.lr_steps == big.lr_steps  # scheduler stepped once per optimizer step
    for a, b in zip(small.model.parameters(), big.model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert small.history[-1]["loss"] == pytest.approx(big.history[-1]["loss"], rel=1e-5)
    # and the update really differs from k separate steps on the micro-batches
    separate = train(n, 4, 1)
    assert not torch.allclose(separate.model[0].weight, big.model[0].weight, atol=1e-4)


class Events(Callback):
    def __init__(self):
        self.events = []

    def on_batch_start(self, trainer, step, batch):
        self.events.append(("start", step))

    def on_after_backward(self, trainer, step, loss):
        self.events.append(("backward", step))

    def on_before_optimizer_step(self, trainer, step):
        self.events.append(("before_step", step))

    def on_batch_end(self, trainer, step, loss, output, target):
        self.events.append(("end", step, round(float(loss), 6), trainer.batches_done))


def test_events_count_optimizer_steps_and_get_the_group_mean_loss(
    train, tiny_classification, tiny_mlp
):
    ev = Events()
    trainer = train(20, 4, 2, epochs=1, callbacks=[ev])
    kinds = [e[0] for e in ev.events]
    assert kinds == ["start", "start", "backward", "before_step", "end"] * 2 + [
        "start",
        "backward",
        "before_step",
        "end",
    ]
    assert [e[1] for e in ev.events if e[0] == "start"] == [0, 0, 1, 1, 2]
    assert [e[3] for e in ev.events if e[0] == "end"] == [2, 4, 5]  # batches done at a step
    # the step loss is the mean of the group's micro-batch losses: recompute the first one
    # (the initial weights, the first 8 samples of epoch 0's order)
    x, y = tiny_classification(20, 5, seed=1, classes=3)
    idx = TensorBatches(x, y, 4, seed=3).order(0)[:8]
    with torch.no_grad():
        out = tiny_mlp(5, 8, 3, act=nn.Tanh)(x[idx])
        mean = (
            nn.functional.cross_entropy(out[:4], y[idx[:4]])
            + nn.functional.cross_entropy(out[4:], y[idx[4:]])
        ) / 2
    assert ev.events[4][2] == pytest.approx(float(mean), abs=1e-6)
    assert trainer.global_step == 3


def test_accumulate_steps_must_be_a_positive_integer():
    # checked once, by training.accumulate_steps (the Trainer trusts its caller)
    model = nn.Linear(2, 2)
    data = (torch.randn(4, 2), torch.arange(4) % 2)
    for bad, exc in ((0, ConfigError), (-2, ConfigError), (1.5, TypeError)):
        with pytest.raises(exc, match=f"training.accumulate_steps: {bad!r} is not allowed"):
            tw.fit(model, data, accumulate_steps=bad, verbose=False)


class InterruptRequestAt(Callback):
    """Asks for the interrupt at a micro-batch: it must wait for the optimizer step."""

    def __init__(self, batch):
        self.batch, self.seen = batch, 0

    def on_batch_start(self, trainer, step, batch):
        self.seen += 1
        if self.seen == self.batch:
            trainer.interrupt("test interrupt")

    def on_fit_end(self, trainer):
        self.stopped_after = trainer.batches_done


@pytest.fixture
def fit(tiny_classification, tiny_mlp):
    """3 epochs of 3 optimizer steps (8 batches, accumulated 3, 3, 2), a checkpoint a step."""

    def run(out, callbacks=(), resume=False):
        x, y = tiny_classification(80, 5, label=lambda x: x[:, 0] > x[:, 1])
        return tw.fit(
            tiny_mlp(5, 8, 3, act=nn.Tanh),
            (x, y),
            validation_split=0.25,
            epochs=3,
            batch_size=8,
            accumulate_steps=3,  # 8 batches per epoch -> groups 3, 3, 2
            lr=3e-2,
            schedule={"name": "cosine", "warmup_steps": 2},
            grad_clip_norm=1.0,
            callbacks=list(callbacks),
            verbose=False,
            out_dir=out,
            resume=resume,
            checkpoint_every_steps=1,
            seed=4,
        )

    return run


def _log(path):
    return [
        {k: v for k, v in json.loads(line).items() if k != "time"}
        for line in (path / "metrics.jsonl").read_text().splitlines()
    ]


@pytest.mark.parametrize("request_at, stopped_after", [(2, 3), (7, 8), (11, 3)])
def test_interrupt_waits_for_the_step_and_resume_is_exact(tmp_path, request_at, stopped_after, fit):
    full = fit(tmp_path / "full")
    assert len(full.lr_steps) == 9  # 3 epochs x 3 optimizer steps
    stopper = InterruptRequestAt(request_at)
    part = fit(tmp_path / "part", callbacks=[stopper])
    assert part.interrupted
    assert stopper.stopped_after == stopped_after  # batches of the epoch: a group boundary
    resumed = fit(tmp_path / "part", resume=True)
    for a, b in zip(full.model.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.equal(a, b)
    assert _log(tmp_path / "full") == _log(tmp_path / "part")
    assert full.lr_steps == resumed.lr_steps
