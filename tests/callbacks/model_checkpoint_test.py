import json
from types import SimpleNamespace

import pytest
import torch
from torch import nn

import trainwise as tw
from trainwise.callbacks.model_checkpoint import ModelCheckpoint
from trainwise.checkpoint.weights import load_weights
from trainwise.errors import ConfigError
from trainwise.run.schema import Config
from trainwise.run.session import build_callbacks


def drive(cb, values, key="val_loss", run_dir=None, start=0, fit_start=True):
    """Feed scripted metrics; the weight is set to the epoch number so files are traceable."""
    t = SimpleNamespace(model=nn.Linear(1, 1, bias=False), run_dir=run_dir, epoch=start)
    if fit_start:
        cb.on_fit_start(t)
    for epoch, v in enumerate(values, start=start):
        with torch.no_grad():
            t.model.weight.fill_(epoch + 1)
        cb.on_epoch_end(t, epoch, {key: v})
    return t


def weight_in(path):
    return load_weights(nn.Linear(1, 1, bias=False), path).weight.item()


def files(d):
    return sorted(p.name for p in d.iterdir())


def test_best_only_default_keeps_one_file_and_best_json(tmp_path):
    cb = ModelCheckpoint()
    drive(cb, [1.0, 0.5, 0.7, 0.4, 0.45], run_dir=tmp_path)
    d = tmp_path / "best"
    assert files(d) == ["best.json", "best.safetensors", "epoch-0004.safetensors"]
    assert weight_in(d / "best.safetensors") == 4.0
    info = json.loads((d / "best.json").read_text())
    assert info["value"] == 0.4 and info["epoch"] == 4 and info["mode"] == "min"
    assert info["kept"] == [{"epoch": 4, "value": 0.4, "file": "epoch-0004.safetensors"}]


def test_top_k_by_a_max_metric(tmp_path):
    cb = ModelCheckpoint(tmp_path, monitor="val_accuracy", save_top_k=2)
    drive(cb, [0.5, 0.7, 0.6, 0.9, 0.65, 0.8], key="val_accuracy")
    assert cb.kept == [(4, 0.9), (6, 0.8)]
    assert files(tmp_path) == [
        "best.json",
        "best.safetensors",
        "epoch-0004.safetensors",
        "epoch-0006.safetensors",
    ]
    assert weight_in(tmp_path / "epoch-0006.safetensors") == 6.0
    assert weight_in(tmp_path / "best.safetensors") == 4.0


def test_min_delta_every_n_epochs_and_keep_all(tmp_path):
    cb = ModelCheckpoint(tmp_path, min_delta=0.1, save_top_k=None)
    drive(cb, [1.0, 0.95, 0.8, 0.75, 0.5])
    assert [e for e, _ in cb.kept] == [5, 3, 1]  # 0.95 and 0.75 are within min_delta
    cb = ModelCheckpoint(tmp_path / "b", save_best_only=False, every_n_epochs=2, save_top_k=None)
    drive(cb, [1.0, 2.0, 3.0, 4.0, 5.0, 0.1])
    assert sorted(e for e, _ in cb.kept) == [2, 4, 6]  # every 2nd epoch, improving or not
    assert json.loads((tmp_path / "b" / "best.json").read_text())["epoch"] == 6


def test_save_every_n_then_top_k(tmp_path):
    cb = ModelCheckpoint(tmp_path, save_best_only=False, save_top_k=2)
    drive(cb, [3.0, 1.0, 2.0, 4.0])
    assert cb.kept == [(2, 1.0), (3, 2.0)]
    assert [p for p in files(tmp_path) if p.startswith("epoch")] == [
        "epoch-0002.safetensors",
        "epoch-0003.safetensors",
    ]


def test_nan_is_never_saved_as_best(tmp_path):
    cb = ModelCheckpoint(tmp_path)
    drive(cb, [float("nan"), 2.0, float("nan")])
    assert cb.kept == [(2, 2.0)] and cb.monitor.best_epoch == 2


def test_resume_drops_files_written_after_the_checkpoint(tmp_path):
    first = ModelCheckpoint(tmp_path, save_top_k=2)
    drive(first, [3.0, 2.0, 1.0])
    saved = json.loads(json.dumps(first.state_dict()))  # the checkpoint taken after epoch 3
    drive(first, [0.5], start=3, fit_start=False)  # epoch 4: a new best; then the process dies
    assert files(tmp_path)[2:] == ["epoch-0003.safetensors", "epoch-0004.safetensors"]
    # a resumed run that (with a changed config) does not repeat epoch 4's result: the file
    # from the lost future goes, best.* point at the restored best again
    resumed = ModelCheckpoint(tmp_path, save_top_k=2)
    resumed.load_state_dict(saved)
    drive(resumed, [], start=3)
    assert files(tmp_path)[2:] == ["epoch-0003.safetensors"]
    assert weight_in(tmp_path / "best.safetensors") == 3.0
    assert json.loads((tmp_path / "best.json").read_text())["epoch"] == 3
    # an exact replay of epoch 4 ends where the uninterrupted run ended
    drive(resumed, [0.5], start=3, fit_start=False)
    assert resumed.kept == first.kept == [(4, 0.5), (3, 1.0)]
    assert weight_in(tmp_path / "best.safetensors") == 4.0


def test_a_reused_instance_starts_fresh(tmp_path):
    cb = ModelCheckpoint(tmp_path)
    drive(cb, [0.1, 0.2])
    drive(cb, [0.5, 0.4])  # a second fit: 0.5 is its first value, not worse than 0.1
    assert cb.kept == [(2, 0.4)] and cb.monitor.best == 0.4


def test_errors_name_the_field(tmp_path):
    with pytest.raises(ConfigError, match=r"model_checkpoint.save_top_k: 0 is not allowed"):
        ModelCheckpoint(save_top_k=0)
    with pytest.raises(ConfigError, match=r"model_checkpoint.dirpath: None needs a run directory"):
        drive(ModelCheckpoint(), [1.0])
    with pytest.raises(ConfigError, match="monitor: 'val_f1' is not in the epoch logs"):
        drive(ModelCheckpoint(tmp_path, monitor="val_f1"), [1.0])


def test_from_config_in_a_fit_run(tmp_path, tiny_mlp):
    cfg = Config.model_validate(
        {"callbacks": {"model_checkpoint": {"monitor": "val_accuracy", "save_top_k": 2}}}
    )
    (cb,) = build_callbacks(cfg)
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = (x[:, 0] > 0).long()
    model = tiny_mlp(3, 8, seed=None)  # initialised from the global RNG after the data
    result = tw.fit(
        model,
        (x, y),
        validation_split=0.25,
        epochs=4,
        batch_size=16,
        lr=0.05,
        callbacks=[cb],
        verbose=False,
        out_dir=tmp_path,
    )
    info = json.loads((tmp_path / "best" / "best.json").read_text())
    best = max(result.history, key=lambda h: h["val_accuracy"])  # first of ties, as Monitor
    assert info["monitor"] == "val_accuracy" and info["mode"] == "max"
    assert (info["epoch"], info["value"]) == (best["epoch"], best["val_accuracy"])
    assert 1 <= len(info["kept"]) <= 2
    for entry in info["kept"]:
        assert (tmp_path / "best" / entry["file"]).exists()
