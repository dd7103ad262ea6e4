"""Keras 3's ModelCheckpoint test cases (keras/src/callbacks/model_checkpoint_test.py) where
the concepts match: save_best_only, monitor modes (auto included), saving every N epochs
(Keras's integer ``save_freq`` counted in batches; here ``every_n_epochs``), bad arguments, and
loading the saved weights. Hooks are driven with scripted metrics; the loading case runs one
real epoch.

Not ported, for want of the concept: whole-model ``.keras`` files (we write weights only,
safetensors), per-batch saving (that is the run's training checkpoints,
``checkpoint.every_steps``), and ``initial_value_threshold``. Where we differ on purpose, the
test asserts our behaviour and docs/tricks.md says why.
"""

from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

import trainwise as tw
from trainwise.callbacks.model_checkpoint import ModelCheckpoint
from trainwise.errors import ConfigError


def drive(cb, values, key):
    """One fit of scripted metrics; the weight is set to our (1-based) epoch number."""
    t = SimpleNamespace(model=nn.Linear(1, 1, bias=False), run_dir=None, epoch=0)
    cb.on_fit_start(t)
    for epoch, v in enumerate(values):
        with torch.no_grad():
            t.model.weight.fill_(epoch + 1)
        cb.on_epoch_end(t, epoch, {key: v})


def saved(d):
    return sorted(p.name for p in d.iterdir() if p.name.startswith("epoch-"))


def weight(path):
    return load_file(path)["weight"].item()


@pytest.mark.parametrize(
    "monitor,mode,save_best_only",
    [
        ("val_loss", "auto", False),  # Keras case 1
        ("val_loss", "min", False),  # case 2
        ("val_acc", "max", False),  # case 3
        ("val_acc", "max", True),  # case 4
    ],
)
def test_one_epoch_writes_the_file(tmp_path, monitor, mode, save_best_only):
    cb = ModelCheckpoint(tmp_path, monitor=monitor, mode=mode, save_best_only=save_best_only)
    drive(cb, [0.4], monitor)
    assert saved(tmp_path) == ["epoch-0001.safetensors"]
    assert weight(tmp_path / "best.safetensors") == 1.0


@pytest.mark.parametrize(
    "monitor,mode,values,expected",
    [
        ("val_loss", "min", [0.5, 0.6, 0.4, 0.45, 0.3], [1, 3, 5]),
        ("val_loss", "auto", [0.5, 0.6, 0.4, 0.45, 0.3], [1, 3, 5]),
        ("val_acc", "auto", [0.5, 0.4, 0.7, 0.7, 0.8], [1, 3, 5]),
        ("val_acc", "max", [0.5, 0.4, 0.7, 0.7, 0.8], [1, 3, 5]),
        ("val_acc", "min", [0.5, 0.4, 0.7, 0.7, 0.8], [1, 2]),
    ],
)
def test_save_best_only_saves_each_improvement(tmp_path, monitor, mode, values, expected):
    # Keras's save_best_only with "{epoch}" in the file name keeps a file per improvement:
    # here save_top_k=None (keep every file saved)
    cb = ModelCheckpoint(tmp_path, monitor=monitor, mode=mode, save_top_k=None)
    drive(cb, values, monitor)
    assert saved(tmp_path) == [ModelCheckpoint.filename(e) for e in expected]
    assert weight(tmp_path / "best.safetensors") == float(expected[-1])


def test_save_every_third_epoch(tmp_path):
    # Keras case 8: save_freq=15 batches at 5 batches per epoch -> epochs 3, 6, 9 of 10
    cb = ModelCheckpoint(tmp_path, save_best_only=False, every_n_epochs=3, save_top_k=None)
    drive(cb, [1.0 - 0.01 * e for e in range(10)], "val_loss")
    assert saved(tmp_path) == [ModelCheckpoint.filename(e) for e in (3, 6, 9)]


def test_bad_save_frequency_and_valid_ones(tmp_path):
    # Keras case 9: "Unrecognized save_freq" is a ValueError
    with pytest.raises(ValueError, match="every_n_epochs: 'invalid_save_freq' is not allowed"):
        ModelCheckpoint(tmp_path, every_n_epochs="invalid_save_freq")
    ModelCheckpoint(tmp_path, every_n_epochs=1)
    ModelCheckpoint(tmp_path, every_n_epochs=3)


def test_unknown_monitor_is_an_error_and_writes_nothing(tmp_path):
    # Keras case 5 warns and writes no file; ours refuses, naming the field (a typo would
    # otherwise end a run without best weights)
    with pytest.raises(ConfigError, match="monitor: 'unknown' is not in the epoch logs"):
        drive(ModelCheckpoint(tmp_path, monitor="unknown"), [0.5], "val_loss")
    assert saved(tmp_path) == []


def test_unknown_mode_is_an_error(tmp_path):
    # Keras case 6 warns "ModelCheckpoint mode 'unknown' is unknown" and uses auto
    with pytest.raises(ConfigError, match="mode: 'unknown' is not allowed; allowed: min, max"):
        ModelCheckpoint(tmp_path, mode="unknown")


def test_top_k_keeps_the_k_best(tmp_path):
    cb = ModelCheckpoint(tmp_path, monitor="val_acc", save_top_k=2)
    drive(cb, [0.5, 0.4, 0.7, 0.7, 0.8, 0.6], "val_acc")
    assert saved(tmp_path) == [ModelCheckpoint.filename(e) for e in (3, 5)]
    assert cb.kept == [(5, 0.8), (3, 0.7)]  # a tie (epoch 4) does not displace epoch 3


def test_saved_weights_load_into_a_fresh_model(tmp_path):
    # test_model_checkpoint_loading: one epoch, save_best_only, auto on val_loss
    torch.manual_seed(0)
    x = torch.randn(30, 3)
    y = torch.randint(0, 3, (30,))
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 3))
    cb = ModelCheckpoint(tmp_path / "ckpt", monitor="val_loss", mode="auto")
    tw.fit(
        model,
        (x, y),
        val_data=(x, y),
        epochs=1,
        batch_size=5,
        optimizer="sgd",
        callbacks=[cb],
        verbose=False,
        doctor=False,
    )
    fresh = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 3))
    fresh.load_state_dict(load_file(tmp_path / "ckpt" / "best.safetensors"))
    for a, b in zip(model.state_dict().values(), fresh.state_dict().values()):
        assert torch.equal(a, b)
