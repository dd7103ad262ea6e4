"""Dropout and BatchNorm behave per mode through the Trainer: dropout active in training and off
in evaluation and prediction; BatchNorm normalises with batch statistics in training and with
its running statistics (left untouched) in evaluation and prediction."""

import pytest
import torch
from torch import nn

from trainwise.training.batches import TensorBatches
from trainwise.training.trainer import Trainer

pytestmark = pytest.mark.usefixtures("one_thread")


class Tap(nn.Module):
    """Identity that records (training flag, a copy of its input)."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, x.detach().clone()))
        return x


def _trainer(model, task="regression", loss=None):
    return Trainer(
        model, torch.optim.SGD(model.parameters(), lr=0.01), loss or nn.MSELoss(), task=task
    )


def test_dropout_is_active_in_training_and_off_in_evaluate_and_predict():
    torch.manual_seed(0)
    before, after = Tap(), Tap()
    model = nn.Sequential(nn.Linear(4, 64), before, nn.Dropout(0.5), after, nn.Linear(64, 1))
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(32, 4, generator=g), torch.randn(32, 1, generator=g)
    trainer = _trainer(model)
    trainer.fit(TensorBatches(x, y, 32, seed=0), TensorBatches(x, y, 32, False), epochs=2)
    x_new = torch.randn(8, 4, generator=g)
    p1, p2 = trainer.predict(x_new), trainer.predict(x_new)

    modes = [t for t, _ in after.seen]
    assert modes == [True, False, True, False, False, False]  # train, val, train, val, 2x predict
    for (training, inp), (_, out) in zip(before.seen, after.seen):
        if training:  # about half zeroed, the rest scaled by 1 / (1 - p) = 2
            dropped = out == 0
            assert 0.35 < dropped.float().mean() < 0.65
            torch.testing.assert_close(out[~dropped], 2 * inp[~dropped])
        else:  # identity
            assert torch.equal(out, inp)
    assert torch.equal(p1, p2)  # deterministic without dropout
    assert model.training  # train mode is back after evaluate and predict


def test_batchnorm_uses_batch_statistics_in_training_and_running_ones_in_evaluation(
    tiny_regression,
):
    torch.manual_seed(0)
    tap = Tap()
    bn = nn.BatchNorm1d(3, momentum=0.1, affine=False)  # the output is the normalised input
    model = nn.Sequential(bn, tap, nn.Linear(3, 1))
    x, y = tiny_regression(64, 3)
    x = 5 + 3 * x  # far from the initial stats (0, 1)
    trainer = _trainer(model)
    train = TensorBatches(x, y, 16, seed=0)

    trainer.fit(train, epochs=1)
    assert bn.num_batches_tracked.item() == 4
    for training, out in tap.seen:  # normalised with the batch's own mean and variance
        assert training
        torch.testing.assert_close(out.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
        torch.testing.assert_close(out.var(0, unbiased=False), torch.ones(3), atol=1e-3, rtol=0)

    # the running statistics follow the closed form of the exponential average over the batches
    mean, var = torch.zeros(3), torch.ones(3)
    for xb, _ in train.epoch(0):
        mean = 0.9 * mean + 0.1 * xb.mean(0)
        var = 0.9 * var + 0.1 * xb.var(0, unbiased=True)
    torch.testing.assert_close(bn.running_mean, mean)
    torch.testing.assert_close(bn.running_var, var)

    stats = [b.clone() for b in bn.buffers()]
    tap.seen.clear()
    metrics = trainer.evaluate(TensorBatches(x, y, 64, shuffle=False))
    trainer.predict(x[:10])
    for b0, b1 in zip(stats, bn.buffers()):  # evaluation does not update them
        assert torch.equal(b0, b1)
    expected = (x - mean) / torch.sqrt(var + bn.eps)
    (t_eval, out_eval), (t_pred, out_pred) = tap.seen
    assert not t_eval and not t_pred
    torch.testing.assert_close(out_eval, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out_pred, expected[:10], rtol=1e-5, atol=1e-5)
    # the evaluation output is not batch-normalised: its mean is far from zero
    assert out_eval.mean(0).abs().min() > 0.1
    # and the reported loss is the one of the running-statistics output
    with torch.no_grad():
        head = model[2]
        eval_loss = float(nn.functional.mse_loss(head(expected), y))
        batch_norm = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + bn.eps)
        batch_loss = float(nn.functional.mse_loss(head(batch_norm), y))
    assert metrics["loss"] == pytest.approx(eval_loss, rel=1e-5)
    assert abs(eval_loss - batch_loss) > 0.1
