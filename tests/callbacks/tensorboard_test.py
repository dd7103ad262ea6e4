"""TensorBoard event files, read back with TensorBoard's own event reader."""

import json

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch import nn

import trainwise as tw
from trainwise.errors import ConfigError
from trainwise.run.schema import Config
from trainwise.run.session import build_callbacks

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def fit(tiny_classification, tiny_mlp):
    """3 epochs of 5 steps on 48 samples, warmup then cosine, into ``out``."""

    def run(out, callbacks=(), model=None, **kw):
        # dropout + BatchNorm: tracing must not disturb either
        model = model if model is not None else tiny_mlp(norm=True, dropout=0.3)
        return tw.fit(
            model,
            tiny_classification(48),
            validation_split=0.25,
            epochs=3,
            batch_size=8,
            schedule={"name": "cosine", "warmup_steps": 2},
            callbacks=list(callbacks),
            verbose=False,
            out_dir=out,
            seed=1,
            **kw,
        )

    return run


def _read(log_dir):
    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    return acc


def test_scalars_histograms_and_graph_are_readable(tmp_path, fit):
    result = fit(tmp_path, [tw.callbacks.TensorBoard(histogram_every_epochs=2)])
    acc = _read(tmp_path / "tensorboard")  # the default: <run dir>/tensorboard
    tags = acc.Tags()
    steps = len(result.lr_steps)
    assert steps == 15  # 36 training samples / 8 -> 5 steps x 3 epochs

    lr = acc.Scalars("step/lr")
    assert [e.step for e in lr] == list(range(1, steps + 1))
    assert [e.value for e in lr] == pytest.approx(result.lr_steps)  # warmup then cosine
    assert len(acc.Scalars("step/loss")) == steps

    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"):
        events = acc.Scalars(f"epoch/{key}")
        assert [e.step for e in events] == [5, 10, 15]  # plotted against the optimizer step
    assert [e.value for e in acc.Scalars("epoch/val_loss")] == pytest.approx(
        [h["val_loss"] for h in result.history]
    )

    hist = set(tags["histograms"])
    for name, _ in result.model.named_parameters():
        assert f"weights/{name}" in hist and f"gradients/{name}" in hist
    assert [e.step for e in acc.Histograms("weights/0.weight")] == [10]  # epoch 2 only
    w = acc.Histograms("weights/4.weight")[0].histogram_value
    assert w.num == 16  # the 2x8 weights of the last layer

    assert tags["graph"] is True
    graph = acc.Graph()
    assert any("Linear" in node.name or "linear" in node.op for node in graph.node)


def test_logging_leaves_training_bitwise_unchanged_and_writes_lr_steps(tmp_path, fit):
    plain = fit(tmp_path / "plain")
    logged = fit(tmp_path / "tb", [tw.callbacks.TensorBoard()])
    for a, b in zip(plain.model.state_dict().values(), logged.model.state_dict().values()):
        assert torch.equal(a, b)
    saved = json.loads((tmp_path / "plain" / "lr_steps.json").read_text())
    assert saved == plain.lr_steps and len(saved) == 15


class InterruptAt(tw.callbacks.Callback):
    def on_batch_end(self, trainer, step, loss, output, target):
        if trainer.global_step == 7:
            trainer.interrupt("test interrupt")


def test_resume_purges_what_the_stopped_run_wrote_after_its_checkpoint(tmp_path, fit):
    from torch.utils.tensorboard import SummaryWriter

    full = fit(tmp_path / "full", [tw.callbacks.TensorBoard()], checkpoint_every_steps=1)
    fit(tmp_path / "part", [tw.callbacks.TensorBoard(), InterruptAt()], checkpoint_every_steps=1)
    # a process killed after its step-7 checkpoint may still have logged steps 8 and 9
    stale = SummaryWriter(str(tmp_path / "part" / "tensorboard"))
    for step in (8, 9):
        stale.add_scalar("step/loss", 99.0, step)
    stale.close()
    fit(tmp_path / "part", [tw.callbacks.TensorBoard()], checkpoint_every_steps=1, resume=True)
    a, b = _read(tmp_path / "full" / "tensorboard"), _read(tmp_path / "part" / "tensorboard")
    for tag in ("step/loss", "step/lr", "epoch/loss", "epoch/val_accuracy"):
        assert [(e.step, e.value) for e in a.Scalars(tag)] == [
            (e.step, e.value) for e in b.Scalars(tag)
        ]
    assert len(a.Scalars("step/loss")) == len(full.lr_steps) == 15


class Untraceable(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 2)

    def forward(self, x):
        if x.sum() > 0:  # data-dependent: fine to train, cannot be traced strictly
            return self.lin(x)
        return self.lin(-x)


def test_a_model_that_cannot_be_traced_gives_a_warning_not_an_error(tmp_path, monkeypatch, fit):
    from torch.utils.tensorboard import SummaryWriter

    def fail(self, model, inputs, **kw):
        raise RuntimeError("tracing failed")

    monkeypatch.setattr(SummaryWriter, "add_graph", fail)
    with pytest.warns(UserWarning, match="could not trace the model graph"):
        fit(tmp_path, [tw.callbacks.TensorBoard(log_dir=tmp_path / "tb")], model=Untraceable())
    tags = _read(tmp_path / "tb").Tags()
    assert "step/loss" in tags["scalars"] and tags["graph"] is False


def test_step_logging_and_histograms_can_be_off(tmp_path, fit):
    cb = tw.callbacks.TensorBoard(
        tmp_path / "tb", log_every_steps=None, histogram_every_epochs=None, graph=False
    )
    fit(tmp_path, [cb])
    tags = _read(tmp_path / "tb").Tags()
    assert not any(t.startswith("step/") for t in tags["scalars"])
    assert "epoch/loss" in tags["scalars"]
    assert tags["histograms"] == [] and tags["graph"] is False


def test_bad_arguments_and_a_missing_directory_are_refused(tiny_classification):
    with pytest.raises(ConfigError, match="callbacks.tensorboard.log_every_steps: 0"):
        tw.callbacks.TensorBoard(log_every_steps=0)
    model = nn.Linear(4, 2)
    with pytest.raises(ConfigError, match="log_dir is None and the run has no directory"):
        tw.fit(
            model,
            tiny_classification(48),
            epochs=1,
            callbacks=[tw.callbacks.TensorBoard()],
            verbose=False,
        )


def test_config_section_builds_the_callback():
    cfg = Config.model_validate({"callbacks": {"tensorboard": {"histogram_every_epochs": 5}}})
    (cb,) = [c for c in build_callbacks(cfg) if isinstance(c, tw.callbacks.TensorBoard)]
    assert (cb.log_dir, cb.histogram_every_epochs, cb.log_every_steps, cb.graph) == (
        None,
        5,
        1,
        True,
    )
    cfg = Config.model_validate({"callbacks": {"tensorboard": {"dir": "tb-logs"}}})
    (cb,) = [c for c in build_callbacks(cfg) if isinstance(c, tw.callbacks.TensorBoard)]
    assert str(cb.log_dir) == "tb-logs"
