import pytest
import torch
from torch import nn

from trainwise.callbacks.callback import Callback
from trainwise.training.batches import TensorBatches
from trainwise.training.trainer import Trainer


class Recorder(Callback):
    def __init__(self):
        self.events = []

    def on_fit_start(self, trainer):
        self.events.append("fit_start")

    def on_epoch_start(self, trainer, epoch):
        self.events.append(f"epoch_start{epoch}")

    def on_batch_start(self, trainer, step, batch):
        self.events.append(f"batch_start{step}")

    def on_after_backward(self, trainer, step, loss):
        # gradients exist here, the optimizer has not stepped yet
        assert all(p.grad is not None for p in trainer.model.parameters())
        self.events.append(f"after_backward{step}")

    def on_before_optimizer_step(self, trainer, step):
        self.events.append(f"before_step{step}")

    def on_batch_end(self, trainer, step, loss, output, target):
        self.events.append(f"batch_end{step}")

    def on_epoch_end(self, trainer, epoch, logs):
        self.events.append(f"epoch_end{epoch}")

    def on_fit_end(self, trainer):
        self.events.append("fit_end")


@pytest.fixture
def make_trainer(tiny_mlp):
    """Builds (trainer, train batches, val batches): 8 random samples and labels, then the
    model, all from the global RNG seeded with ``seed``."""

    def build(seed=0, callbacks=()):
        torch.manual_seed(seed)
        x = torch.randn(8, 3)
        y = torch.randint(0, 2, (8,))
        model = tiny_mlp(3, 4, seed=None)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        trainer = Trainer(model, opt, nn.CrossEntropyLoss(), "classification", callbacks=callbacks)
        return (
            trainer,
            TensorBatches(x, y, batch_size=4, seed=seed),
            TensorBatches(x, y, 8, shuffle=False),
        )

    return build


def test_event_order(make_trainer):
    rec = Recorder()
    trainer, train, val = make_trainer(callbacks=[rec])
    trainer.fit(train, val, epochs=1)
    assert rec.events == [
        "fit_start",
        "epoch_start0",
        "batch_start0",
        "after_backward0",
        "before_step0",
        "batch_end0",
        "batch_start1",
        "after_backward1",
        "before_step1",
        "batch_end1",
        "epoch_end0",
        "fit_end",
    ]


def test_unused_events_are_not_dispatched(make_trainer):
    class OnlyEpochs(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            pass

    trainer, _, _ = make_trainer(callbacks=[OnlyEpochs()])
    assert trainer.callbacks.listeners["on_batch_end"] == []
    assert len(trainer.callbacks.listeners["on_epoch_end"]) == 1


def test_history_fields_and_steps(make_trainer):
    trainer, train, val = make_trainer()
    history = trainer.fit(train, val, epochs=3)
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert set(history[0]) == {
        "epoch",
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
        "lr",
        "time",
    }
    assert trainer.global_step == 6 and len(trainer.lr_steps) == 6


def test_same_seed_gives_bitwise_equal_weights(make_trainer):
    a, train_a, val_a = make_trainer(seed=1)
    a.fit(train_a, val_a, epochs=3)
    b, train_b, val_b = make_trainer(seed=1)
    b.fit(train_b, val_b, epochs=3)
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)


def test_validation_runs_in_eval_mode_and_restores_train_mode():
    seen = []

    class Spy(nn.Module):
        def forward(self, x):
            seen.append(self.training)
            return x

    model = nn.Sequential(nn.Linear(3, 2), Spy())
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss())
    x, y = torch.randn(4, 3), torch.randint(0, 2, (4,))
    trainer.fit(TensorBatches(x, y, 4), TensorBatches(x, y, 4, shuffle=False), epochs=1)
    assert seen == [True, False]
    assert model.training


def test_nan_loss_stops_with_a_reason(make_trainer):
    trainer, train, val = make_trainer()
    with torch.no_grad():
        trainer.model[0].weight.fill_(float("nan"))
    history = trainer.fit(train, val, epochs=5)
    assert len(history) == 1
    assert "became nan in epoch 1" in trainer.stop_reason


def test_clipping_by_norm_records_norm_before_clipping(make_trainer):
    trainer, train, val = make_trainer()
    trainer.grad_clip_norm = 1e-6
    trainer.fit(train, val, epochs=1)
    assert trainer.last_grad_norm is not None and float(trainer.last_grad_norm) > 1e-6


def test_stop_training_from_a_callback_ends_after_the_epoch(make_trainer):
    class StopAt2(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 1:
                trainer.stop_training = True

    trainer, train, val = make_trainer(callbacks=[StopAt2()])
    assert len(trainer.fit(train, val, epochs=10)) == 2
