from types import SimpleNamespace

import torch

from trainwise.callbacks.early_stopping import EarlyStopping


def _trainer():
    model = torch.nn.Linear(1, 1, bias=False)
    return SimpleNamespace(model=model, stop_training=False, stop_reason=None)


def drive(cb, trainer, values, key="val_loss"):
    """Feed scripted metrics; the weight is set to the epoch number so restores are visible."""
    for epoch, v in enumerate(values):
        with torch.no_grad():
            trainer.model.weight.fill_(epoch + 1)
        cb.on_epoch_end(trainer, epoch, {key: v})
        if trainer.stop_training:
            break
    cb.on_fit_end(trainer)


def test_stops_after_patience_and_restores_best():
    t = _trainer()
    cb = EarlyStopping(patience=2)
    drive(cb, t, [1.0, 0.5, 0.6, 0.7, 0.1])
    assert t.stop_training and cb.stopped_epoch == 4
    assert t.model.weight.item() == 2.0  # epoch 2 weights restored
    assert cb.message == (
        "val_loss did not improve for 2 epochs; restoring epoch 2 weights (best val_loss 0.5)"
    )
    assert cb.restored_epoch == 2 and cb.end_message is None  # the stop message said it


def test_keeps_going_while_improving_and_keras_alias():
    t = _trainer()
    cb = EarlyStopping(patience=1, restore_best_weights=False)
    drive(cb, t, [3, 2, 1, 0.5])
    assert not t.stop_training and t.model.weight.item() == 4.0


def test_max_mode_min_delta():
    t = _trainer()
    cb = EarlyStopping(monitor="val_accuracy", patience=2, min_delta=0.01)
    drive(cb, t, [0.5, 0.505, 0.509, 0.9], key="val_accuracy")
    assert t.stop_training and cb.monitor.best == 0.5


def test_resume_in_the_middle_of_the_patience_window():
    values = [1.0, 0.5, 0.6, 0.7, 0.8]
    full = EarlyStopping(patience=3)
    t1 = _trainer()
    drive(full, t1, values)
    first = EarlyStopping(patience=3)
    t2 = _trainer()
    drive(first, t2, values[:3])  # wait == 1 after epoch 3
    resumed = EarlyStopping(patience=3)
    resumed.load_state_dict(first.state_dict())
    t3 = _trainer()
    for epoch in range(3, 5):
        resumed.on_epoch_end(t3, epoch, {"val_loss": values[epoch]})
    assert t3.stop_training and resumed.stopped_epoch == full.stopped_epoch == 5


def test_a_fit_that_runs_all_epochs_restores_the_best_and_says_so(
    capsys, tiny_classification, tiny_mlp
):
    import trainwise as tw

    x, y = tiny_classification(64, 4, classes=2)  # noise: validation gets worse as it fits
    model = tiny_mlp(4, 8)
    es = EarlyStopping(patience=10)
    result = tw.fit(
        model,
        (x, y),
        validation_split=0.25,
        epochs=4,
        lr=0.5,
        batch_size=8,
        optimizer="sgd",
        callbacks=[es],
        verbose="lines",
        doctor=False,
    )
    losses = [h["val_loss"] for h in result.history]
    best = losses.index(min(losses)) + 1
    assert len(losses) == 4 and result.stop_reason is None and best < 4  # a later epoch was worse
    assert es.restored_epoch == best
    assert all(torch.equal(v, es.best_weights[k]) for k, v in model.state_dict().items())
    printed = capsys.readouterr().out
    assert (
        f"early stopping: restoring epoch {best} weights (best val_loss {min(losses):.4g})"
        in printed
    )
