"""Keras 3's EarlyStopping test cases (keras/src/callbacks/early_stopping_test.py), re-written
against our hooks with scripted metrics instead of small random fits.

Epochs: ``on_epoch_end`` gets the 0-based index in Keras and here; what we report
(``stopped_epoch``, ``restored_epoch``, messages) is 1-based, so Keras epoch k is our epoch
k + 1. The model's single weight is set to the *Keras* epoch index, so the restored weights
read the same numbers as in Keras's test. Where we differ on purpose, the test asserts our
behaviour and docs/tricks.md ("Early stopping and LR on plateau") says why.
"""

from types import SimpleNamespace

import pytest
import torch

from trainwise.callbacks.early_stopping import EarlyStopping
from trainwise.errors import ConfigError


def _trainer():
    model = torch.nn.Linear(1, 1, bias=False)
    return SimpleNamespace(model=model, stop_training=False, stop_reason=None, interrupted=False)


def run(cb, values, key="val_loss", other_stops_at=None):
    """One fit; returns (epochs trained, final weight). ``other_stops_at``: the (Keras) epoch
    at which another callback sets ``stop_training``."""
    t = _trainer()
    cb.on_fit_start(t)
    trained = 0
    for epoch, v in enumerate(values):
        trained += 1
        with torch.no_grad():
            t.model.weight.fill_(epoch)
        cb.on_epoch_end(t, epoch, {key: v})
        if epoch == other_stops_at:
            t.stop_training = True
        if t.stop_training:
            break
    cb.on_fit_end(t)
    return trained, t.model.weight.item()


@pytest.mark.parametrize(
    "mode,monitor,expected",
    [
        ("max", "val_mse", "max"),
        ("min", "val_loss", "min"),
        ("auto", "val_mse", "min"),
        ("auto", "loss", "min"),
        ("auto", "acc", "max"),
        ("auto", "val_accuracy", "max"),
        ("auto", "hinge", "min"),
        ("auto", "f1_score", "max"),
    ],
)
def test_mode_and_auto_direction(mode, monitor, expected):
    assert EarlyStopping(patience=0, monitor=monitor, mode=mode).monitor.mode == expected


def test_unknown_monitor_is_an_error():
    # Keras: ValueError during fit; ours names the field and what the logs hold
    with pytest.raises(ValueError, match="monitor: 'unknown' is not in the epoch logs; available"):
        run(EarlyStopping(monitor="unknown"), [1.0, 2.0])


@pytest.mark.parametrize("patience", [0, 1, 2, 3])
def test_patience(patience):
    losses = [10.0, 9.0, 8.0, 9.0, 8.9, 8.8, 8.7, 8.6, 8.5]
    cb = EarlyStopping(monitor="loss", patience=patience)
    run(cb, losses, key="loss")
    keras_stopped_epoch = max(patience, 1) + 2
    assert cb.stopped_epoch == keras_stopped_epoch + 1


def test_reuse_starts_each_fit_afresh():
    # Keras: the same stopper in a second model.fit trains at least `patience` epochs
    cb = EarlyStopping(monitor="mse", patience=3)
    first = run(cb, [1.0, 0.5, 0.2, 0.1, 0.1, 0.1, 0.1], key="mse")
    assert first == (7, 3.0) and cb.stopped_epoch == 7
    second = [0.9, 0.8, 0.7, 0.6, 0.55, 0.5]  # never as good as the first fit's 0.1
    assert run(cb, second, key="mse") == (6, 5.0)
    assert cb.stopped_epoch is None and cb.monitor.best == 0.5
    assert run(EarlyStopping(monitor="mse", patience=3), second, key="mse") == (6, 5.0)


def test_reuse_across_models_keras_20256():
    # three models, one stopper: none may be compared with a stale best of an earlier one
    cb = EarlyStopping(monitor="loss", patience=5)
    first = [0.05 * (20 - e) for e in range(20)]  # falls to 0.05
    for values in (first, [1.0 - 0.01 * e for e in range(50)], [2.0 - 0.01 * e for e in range(50)]):
        trained, _ = run(cb, values, key="loss")
        assert trained == len(values) > 5


def test_baseline_never_beaten_stops_after_patience():
    cb = EarlyStopping(monitor="mse", patience=3, baseline=0.6)
    trained, weight = run(cb, [0.9, 0.8, 0.85, 0.95, 0.7, 0.65], key="mse")
    assert trained == 3 >= cb.patience
    assert weight == 1.0  # the best epoch seen, though it never beat the baseline
    assert cb.message == (
        "mse did not beat the baseline 0.6 in 3 epochs; restoring epoch 2 weights (best mse 0.8)"
    )


def test_final_weights_when_restoring_model_weights():
    cb = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    # the best configuration is Keras epoch 2 (loss 0.1)
    assert run(cb, [0.2, 0.15, 0.1, 0.11, 0.12]) == (5, 2.0)
    assert cb.restored_epoch == 3 and cb.stopped_epoch == 5

    # no epoch beats the baseline: 5 epochs (patience), the best of them restored
    cb = EarlyStopping(monitor="val_loss", patience=5, baseline=0.5, restore_best_weights=True)
    assert run(cb, [0.9, 0.8, 0.7, 0.71, 0.72, 0.73]) == (5, 2.0)

    # another callback requests the stop after Keras epoch 3
    cb = EarlyStopping(monitor="val_loss", patience=5, baseline=0.5, restore_best_weights=True)
    assert run(cb, [0.9, 0.8, 0.7, 0.71, 0.72, 0.73], other_stops_at=3) == (4, 2.0)
    assert cb.stopped_epoch is None
    assert cb.end_message == "early stopping: restoring epoch 3 weights (best val_loss 0.7)"


def test_all_epochs_run_still_restores_the_best():
    cb = EarlyStopping(patience=5)
    assert run(cb, [0.3, 0.2, 0.25, 0.26]) == (4, 1.0)
    assert cb.end_message == "early stopping: restoring epoch 2 weights (best val_loss 0.2)"


def test_restore_best_off_keeps_the_last_weights():
    cb = EarlyStopping(patience=2, restore_best=False)
    assert run(cb, [0.2, 0.15, 0.1, 0.11, 0.12]) == (5, 4.0)
    assert cb.message == "val_loss did not improve for 2 epochs (best 0.1 at epoch 3)"
    assert cb.restored_epoch is None and cb.end_message is None


def test_start_from_epoch():
    worse = [1.0 + 0.1 * e for e in range(20)]  # never improves once monitored
    cb = EarlyStopping(monitor="mse", patience=3, start_from_epoch=2)
    trained, weight = run(cb, worse, key="mse")
    assert trained == 6 >= cb.patience + cb.start_from_epoch
    assert weight == 2.0 and cb.restored_epoch == 3  # the first monitored epoch

    cb = EarlyStopping(monitor="mse", patience=0, start_from_epoch=2)  # boundary: patience 0
    trained, _ = run(cb, worse, key="mse")
    assert trained == 4 >= cb.start_from_epoch


def test_warm_up_epochs_are_not_candidates():
    cb = EarlyStopping(patience=2, start_from_epoch=2)
    trained, weight = run(cb, [0.1, 0.2, 1.0, 0.9, 0.95, 0.96])
    assert trained == 6 and weight == 3.0 and cb.monitor.best == 0.9


def test_on_fit_start_resets_but_keeps_a_resumed_state():
    cb = EarlyStopping(patience=3)
    run(cb, [0.5, 0.6, 0.7])
    state = cb.state_dict()
    assert state["monitor"]["wait"] == 2 and state["best_weights"] is not None
    cb.on_fit_start(_trainer())  # a new fit
    assert cb.monitor.best is None and cb.monitor.wait == 0 and cb.best_weights is None
    cb.load_state_dict(state)  # a resumed fit: the trainer loads before on_fit_start
    cb.on_fit_start(_trainer())
    assert cb.monitor.wait == 2 and cb.monitor.best == 0.5 and cb.weights_epoch == 1


def test_deliberate_differences():
    # Keras takes abs(min_delta) and falls back to "auto" for an unknown mode; both are
    # mistakes worth an error here
    with pytest.raises(ConfigError, match="min_delta: -0.1 is not allowed"):
        EarlyStopping(min_delta=-0.1)
    with pytest.raises(ConfigError, match="mode: 'down' is not allowed; allowed: min, max, auto"):
        EarlyStopping(mode="down")
    with pytest.raises(ConfigError, match="early_stopping.start_from_epoch: -1 is not allowed"):
        EarlyStopping(start_from_epoch=-1)
    # restore_best defaults to True (Keras: restore_best_weights=False)
    assert EarlyStopping().restore_best is True
    # auto on a name of no known direction: min (Keras raises ValueError)
    assert EarlyStopping(monitor="val_distance").monitor.mode == "min"
    # an interrupted fit (to be resumed) keeps its weights: the restore waits for the real end
    cb = EarlyStopping(patience=5)
    t = _trainer()
    cb.on_fit_start(t)
    for epoch, v in enumerate([0.3, 0.4]):
        with torch.no_grad():
            t.model.weight.fill_(epoch)
        cb.on_epoch_end(t, epoch, {"val_loss": v})
    t.interrupted = True
    cb.on_fit_end(t)
    assert t.model.weight.item() == 1.0 and cb.restored_epoch is None
