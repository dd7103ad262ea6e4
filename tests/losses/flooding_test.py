import pytest
import torch
from torch import nn

from trainwise.errors import ConfigError
from trainwise.losses.flooding import Flooding


def _grad(b: float) -> tuple[float, float]:
    w = torch.tensor(0.5, requires_grad=True)
    loss = Flooding(nn.MSELoss(), b)(w, torch.tensor(0.0))  # MSE = w^2 = 0.25
    loss.backward()
    return loss.item(), w.grad.item()


def test_above_flood_level_is_the_plain_loss():
    value, grad = _grad(0.1)
    assert value == pytest.approx(0.25)
    assert grad == pytest.approx(1.0)  # d(w^2)/dw = 2w


def test_below_flood_level_gradient_flips_sign():
    value, grad = _grad(0.5)
    assert value == pytest.approx(0.75)  # |0.25 - 0.5| + 0.5
    assert grad == pytest.approx(-1.0)


def test_flood_level_zero_is_identity():
    assert _grad(0.0) == pytest.approx((0.25, 1.0))


def test_negative_flood_level_rejected():
    with pytest.raises(ConfigError, match=r"loss.flooding: -0.1 is not allowed; must be >= 0"):
        Flooding(nn.MSELoss(), -0.1)
