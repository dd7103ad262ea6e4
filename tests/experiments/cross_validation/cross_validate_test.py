import functools

import numpy as np
import pytest
import torch

import trainwise as tw
from trainwise.errors import ArgumentTypeError, ConfigError
from trainwise.experiments.predictions import score_predictions


@pytest.fixture
def data(tiny_classification):
    """90 samples, 3 features, two imbalanced classes (x0 > 0.3)."""
    return tiny_classification(90, 3, label=lambda x: x[:, 0] > 0.3)


@pytest.fixture
def mlp(tiny_mlp):
    """A model factory (one fresh model per fold): 3-8-2, tanh, the RNG as cross_validate
    leaves it."""
    return functools.partial(tiny_mlp, 3, 8, act=torch.nn.Tanh, seed=None)


def test_oof_predictions_come_from_the_fold_that_held_each_sample_out(data, mlp):
    x, y = data
    cv = tw.cross_validate(
        mlp, (x, y), folds=3, epochs=2, batch_size=16, verbose=False, ensemble=True
    )
    assert cv.oof.shape == (90, 2) and np.allclose(cv.oof.sum(1), 1.0, atol=1e-5)
    assert len(cv.models) == len(cv.folds) == len(cv.histories) == 3
    for row, model, (train_idx, val_idx) in zip(cv.folds, cv.models, cv.indices):
        assert not set(train_idx) & set(val_idx)
        expected = torch.softmax(model.eval()(x[torch.as_tensor(val_idx)]), 1).detach()
        assert np.allclose(cv.oof[val_idx], expected.numpy(), atol=1e-6)
        scores = score_predictions(torch.from_numpy(cv.oof[val_idx]), y[val_idx], "classification")
        assert row["val_accuracy"] == pytest.approx(scores["accuracy"])
        assert row["val_log_loss"] == pytest.approx(scores["log_loss"])
        assert row["epochs"] == 2
    accs = [r["val_accuracy"] for r in cv.folds]
    assert cv.mean["val_accuracy"] == pytest.approx(np.mean(accs))
    assert cv.std["val_accuracy"] == pytest.approx(np.std(accs, ddof=1))
    assert isinstance(cv.ensemble, tw.Ensemble) and len(cv.ensemble) == 3
    assert "mean ± std" in cv.table()


def test_stratified_folds_keep_the_class_ratio(data, mlp):
    x, y = data
    cv = tw.cross_validate(mlp, (x, y), folds=3, epochs=1, verbose=False)
    counts = [int(y[v].sum()) for _, v in cv.indices]
    assert max(counts) - min(counts) <= 1
    assert cv.ensemble is None


def test_regression_task_from_the_loss_and_test_metrics(data):
    x, _ = data
    y = x[:, :1].sum(1) * 2.0
    cv = tw.cross_validate(
        lambda: torch.nn.Linear(3, 1),
        (x, y),
        folds=2,
        loss="mse",
        epochs=1,
        verbose=False,
        test_data=(x[:10], y[:10]),
    )
    assert cv.task == "regression" and cv.oof.shape == (90,)
    assert set(cv.folds[0]) >= {"val_mse", "val_mae", "test_loss", "test_mse"}
    assert cv.oof_metrics["mse"] == pytest.approx(float(((cv.oof - y.numpy()) ** 2).mean()))


def test_same_seed_same_result(data, mlp):
    x, y = data
    a = tw.cross_validate(mlp, (x, y), folds=2, epochs=1, verbose=False, seed=3)
    b = tw.cross_validate(mlp, (x, y), folds=2, epochs=1, verbose=False, seed=3)
    assert np.array_equal(a.oof, b.oof)


def test_bad_arguments(data, mlp):
    x, y = data
    with pytest.raises(ConfigError, match="val_data: not allowed in cross_validate"):
        tw.cross_validate(mlp, (x, y), val_data=(x, y))
    with pytest.raises(ArgumentTypeError, match="model_fn: expected a function"):
        tw.cross_validate(mlp(), (x, y))
    with pytest.raises(ConfigError, match="stratified: True needs classification"):
        tw.cross_validate(mlp, (x, x[:, 0]), loss="mse", stratified=True)


def test_each_fold_gets_fresh_callbacks(data, mlp):
    from trainwise.callbacks.callback import Callback

    class StopAfterTwoEpochs(Callback):
        def __init__(self):
            self.seen = 0

        def on_epoch_end(self, trainer, epoch, logs):
            self.seen += 1
            if self.seen >= 2:
                trainer.stop_training = True

    x, y = data
    original = StopAfterTwoEpochs()
    cv = tw.cross_validate(mlp, (x, y), folds=3, epochs=5, verbose=False, callbacks=[original])
    assert [r["epochs"] for r in cv.folds] == [2, 2, 2]  # shared state would give [2, 1, 1]
    assert original.seen == 0
