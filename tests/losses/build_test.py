import math

import pytest
import torch
from torch import nn

from trainwise.losses.binary_label_smoothing import BinaryLabelSmoothing
from trainwise.losses.build import build_loss
from trainwise.losses.config import LossConfig
from trainwise.losses.flooding import Flooding
from trainwise.losses.from_probabilities import FromProbabilities


def _value(name, out, target, **kw):
    return float(build_loss(LossConfig(name=name, **kw))(torch.tensor(out), torch.tensor(target)))


def test_mse_mae_closed_form():
    assert _value("mse", [1.0, 3.0], [0.0, 0.0]) == pytest.approx(5.0)
    assert _value("mean_absolute_error", [1.0, -3.0], [0.0, 0.0]) == pytest.approx(2.0)


@pytest.mark.parametrize(("delta", "want"), [(1.0, (0.125 + 2.5) / 2), (2.0, (0.125 + 4.0) / 2)])
def test_huber_closed_form(delta, want):
    # errors 0.5 (quadratic: 0.5 * 0.5^2) and 3 (linear: delta * (3 - delta / 2))
    assert _value("huber", [0.5, 3.0], [0.0, 0.0], delta=delta) == pytest.approx(want)


def test_bce_on_probabilities():
    got = _value("binary_crossentropy", [0.8, 0.4], [1.0, 0.0])
    assert got == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2, rel=1e-6)


def test_bce_on_logits_two_ways():
    want = (math.log(2.0) + math.log(1 + math.e**2)) / 2
    assert _value("bce_with_logits", [0.0, 2.0], [1.0, 0.0]) == pytest.approx(want, rel=1e-6)
    assert _value("bce", [0.0, 2.0], [1.0, 0.0], from_logits=True) == pytest.approx(want, rel=1e-6)


def test_sparse_and_categorical_cross_entropy_agree():
    logits = [[0.0, math.log(3.0)]]  # softmax [0.25, 0.75]
    sparse = float(build_loss(LossConfig())(torch.tensor(logits), torch.tensor([1])))
    onehot = _value("categorical_crossentropy", logits, [[0.0, 1.0]])
    assert sparse == pytest.approx(-math.log(0.75), rel=1e-6)
    assert onehot == pytest.approx(sparse, rel=1e-6)


def test_cross_entropy_label_smoothing_closed_form():
    logits = [[0.0, math.log(3.0)]]
    got = float(
        build_loss(LossConfig(label_smoothing=0.1))(torch.tensor(logits), torch.tensor([1]))
    )
    # smoothed target [0.05, 0.95] for C=2
    assert got == pytest.approx(-(0.05 * math.log(0.25) + 0.95 * math.log(0.75)), rel=1e-6)


def test_categorical_on_probabilities():
    loss = build_loss(LossConfig(name="categorical_crossentropy", from_logits=False))
    assert isinstance(loss, FromProbabilities)
    got = float(loss(torch.tensor([[0.25, 0.75]]), torch.tensor([[0.0, 1.0]])))
    assert got == pytest.approx(-math.log(0.75), rel=1e-6)


def test_module_types():
    assert isinstance(build_loss(LossConfig(name="mse")), nn.MSELoss)
    assert isinstance(build_loss(LossConfig(name="mae")), nn.L1Loss)
    assert build_loss(LossConfig(name="huber", delta=2.5)).delta == 2.5
    assert isinstance(build_loss(LossConfig(name="bce")), nn.BCELoss)
    assert isinstance(build_loss(LossConfig(name="bce_with_logits")), nn.BCEWithLogitsLoss)
    ce = build_loss(LossConfig(label_smoothing=0.2))
    assert isinstance(ce, nn.CrossEntropyLoss) and ce.label_smoothing == 0.2
    assert isinstance(build_loss(), nn.CrossEntropyLoss)


def test_binary_label_smoothing_is_wired():
    loss = build_loss(LossConfig(name="bce_with_logits", label_smoothing=0.2))
    assert isinstance(loss, BinaryLabelSmoothing) and isinstance(loss.loss, nn.BCEWithLogitsLoss)
    x, y = torch.tensor([0.3, -1.0]), torch.tensor([1.0, 0.0])
    assert torch.allclose(loss(x, y), nn.BCEWithLogitsLoss()(x, torch.tensor([0.9, 0.1])))


def test_flooding_wraps_any_loss():
    loss = build_loss(LossConfig(name="mse", flooding=0.5))
    assert isinstance(loss, Flooding) and loss.b == 0.5
    assert float(loss(torch.tensor([0.1]), torch.tensor([0.0]))) == pytest.approx(0.99)
    assert not isinstance(build_loss(LossConfig(name="mse", flooding=0.0)), Flooding)
