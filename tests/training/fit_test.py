import json

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import trainwise as tw
from trainwise.errors import ArgumentTypeError, ConfigError, DataError


@pytest.fixture
def data(tiny_classification):
    """Builds (x, y), 4 features, y = x0 + x1 > 0 (n 64 by default)."""
    return lambda n=64: tiny_classification(n, 4, label=lambda x: x[:, 0] + x[:, 1] > 0)


@pytest.fixture
def model(tiny_mlp):
    """Builds a 4-16-``out`` MLP (2 outputs by default), seeded 0."""
    return lambda out=2: tiny_mlp(4, 16, out)


def test_learns_a_separable_problem(data, model):
    x, y = data(256)
    r = tw.fit(
        model(), (x, y), validation_split=0.25, epochs=20, batch_size=32, lr=1e-2, verbose=False
    )
    assert r.history[-1]["val_accuracy"] > 0.9
    assert r.history[-1]["loss"] < r.history[0]["loss"]


@pytest.mark.parametrize("kind", ["tensors", "numpy", "dataset", "dataloader"])
def test_accepts_every_input_form(kind, data, model):
    x, y = data()
    inputs = {
        "tensors": (x, y),
        "numpy": (x.double().numpy(), y.numpy().astype(np.int32)),
        "dataset": TensorDataset(x, y),
        "dataloader": DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True),
    }[kind]
    r = tw.fit(model(), inputs, val_data=(x, y), epochs=2, verbose=False)
    assert len(r.history) == 2 and "val_accuracy" in r.history[0]


def test_validation_split_takes_the_last_fraction_unshuffled(data, model):
    x, y = data(10)
    seen = []

    class Spy(tw.callbacks.Callback):
        def on_fit_start(self, trainer):
            seen.append(trainer.val_batches.x.clone())

    tw.fit(model(), (x, y), validation_split=0.2, epochs=1, callbacks=[Spy()], verbose=False)
    assert torch.equal(seen[0], x[8:])


def test_same_seed_is_bitwise_repeatable_and_keras_names(data, model):
    x, y = data()
    a = tw.fit(
        model(), (x, y), epochs=3, loss="sparse_categorical_crossentropy", seed=4, verbose=False
    )
    b = tw.fit(
        model(), (x, y), epochs=3, loss="sparse_categorical_crossentropy", seed=4, verbose=False
    )
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)


def test_regression_metrics_and_mse_name(data, model):
    x, _ = data()
    y = x[:, :1] * 2.0
    r = tw.fit(
        model(1),
        (x, y),
        validation_split=0.2,
        loss="mean_squared_error",
        epochs=2,
        verbose=False,
    )
    assert {"mse", "mae", "val_mse", "val_mae"} <= set(r.history[0])


def test_out_dir_writes_metrics_log_and_weights(tmp_path, data, model):
    x, y = data()
    r = tw.fit(model(), (x, y), validation_split=0.2, epochs=2, verbose=False, out_dir=tmp_path)
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2]
    assert {"loss", "val_loss", "accuracy", "lr", "time"} <= set(lines[0])
    assert (tmp_path / "model.safetensors").exists() and r.run_dir == tmp_path


def test_test_data_and_early_stopping_callback(data, model):
    x, y = data(128)
    r = tw.fit(
        model(),
        (x, y),
        validation_split=0.25,
        test_data=(x, y),
        epochs=50,
        lr=0.5,
        optimizer="sgd",
        callbacks=[tw.callbacks.EarlyStopping(patience=1)],
        verbose=False,
    )
    assert "test_accuracy" in r.test_metrics
    assert len(r.history) < 50 and "did not improve" in r.stop_reason


def test_doctor_is_on_by_default_and_can_be_turned_off(data, model):
    x, y = data()
    on = tw.fit(model(), (x, y), epochs=2, verbose=False)
    assert on.doctor is not None and isinstance(on.findings, list)
    off = tw.fit(model(), (x, y), epochs=2, verbose=False, doctor=False)
    assert off.doctor is None and off.findings == []
    with pytest.raises(tw.ArgumentTypeError, match="probe_every"):
        tw.fit(model(), (x, y), epochs=1, verbose=False, doctor={"probe_evry": 5})


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(lr=-0.1), ConfigError, r"optimizer.lr"),
        (dict(batch_size=0), ConfigError, r"training.batch_size: 0"),
        (dict(epochs=0), ConfigError, r"training.epochs: 0"),
        (dict(optimizer="adamm"), ConfigError, r"adam"),
        (dict(loss="crossentropyy"), ConfigError, r"cross"),
        (dict(validation_split=1.5), ConfigError, r"data.validation_split: 1.5"),
    ],
)
def test_bad_arguments_name_the_field(kwargs, exc, match, data, model):
    x, y = data()
    with pytest.raises(exc, match=match):
        tw.fit(model(), (x, y), verbose=False, **kwargs)


def test_bad_data_is_caught_before_training(data, model):
    x, y = data()
    with pytest.raises(DataError, match=r"class labels must be in 0..1 .* from 0 to 5"):
        tw.fit(model(), (x, torch.where(y == 1, 5, 0)), verbose=False)
    with pytest.raises(DataError, match="x has 64 samples but y has 10"):
        tw.fit(model(), (x, y[:10]), verbose=False)
    bad = x.clone()
    bad[3, 1] = float("nan")
    with pytest.raises(DataError, match="NaN or Inf"):
        tw.fit(model(), (bad, y), verbose=False)
    with pytest.raises(DataError, match="empty"):
        tw.fit(model(), (x[:0], y[:0]), verbose=False)
    with pytest.raises(ArgumentTypeError, match="expected an \\(x, y\\) pair"):
        tw.fit(model(), "data.csv", verbose=False)
