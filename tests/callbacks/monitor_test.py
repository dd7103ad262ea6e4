import math

import pytest

from trainwise.callbacks.monitor import Monitor, resolve_mode
from trainwise.errors import ConfigError


def test_auto_mode():
    assert resolve_mode("val_loss", "auto") == "min"
    assert resolve_mode("val_accuracy", "auto") == "max"
    assert resolve_mode("val_mae", "auto") == "min"
    with pytest.raises(ConfigError, match="allowed: min, max, auto"):
        resolve_mode("val_loss", "up")


def test_min_delta_and_wait_counting():
    m = Monitor("val_loss", min_delta=0.1)
    assert m.update(1.0, 1)
    assert not m.update(0.95, 2)  # better, but not by more than min_delta
    assert m.wait == 1
    assert m.update(0.8, 3)
    assert (m.best, m.best_epoch, m.wait) == (0.8, 3, 0)


def test_max_mode_baseline_and_nan():
    m = Monitor("val_accuracy", baseline=0.5)
    assert not m.update(0.4, 1)
    assert not m.update(math.nan, 2)
    assert m.update(0.6, 3)
    assert m.wait == 0


def test_state_round_trip():
    m = Monitor()
    m.update(0.3, 1)
    m.update(0.4, 2)
    n = Monitor()
    n.load_state_dict(m.state_dict())
    assert (n.best, n.best_epoch, n.wait) == (0.3, 1, 1)


def test_missing_key_lists_available():
    with pytest.raises(ConfigError, match="available: loss, lr"):
        Monitor("val_loss").value({"epoch": 1, "loss": 1.0, "lr": 0.1, "time": 1})
