import pytest

from trainwise.errors import ConfigError
from trainwise.optim.lr_scaling import scaled_lr


def test_linear_rule():
    assert scaled_lr(0.1, 512, 256) == pytest.approx(0.2)
    assert scaled_lr(1e-3, 32, 128) == pytest.approx(2.5e-4)
    assert scaled_lr(0.05, 64, 64) == 0.05


@pytest.mark.parametrize(("bs", "base"), [(0, 32), (32, 0), (True, 32), (32.0, 32)])
def test_batch_sizes_must_be_positive_ints(bs, base):
    with pytest.raises(ConfigError, match="must be an integer >= 1"):
        scaled_lr(0.1, bs, base)


def test_lr_must_be_positive():
    with pytest.raises(ConfigError, match="optimizer.lr: 0.0 is not allowed; must be > 0"):
        scaled_lr(0.0, 32, 32)
