from types import SimpleNamespace

import pytest
import torch

from trainwise.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from trainwise.errors import ConfigError


def _trainer(with_scheduler=True):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0) if with_scheduler else None
    return SimpleNamespace(optimizer=opt, scheduler=sched)


def lr_history(cb, t, values):
    out = []
    for epoch, v in enumerate(values):
        cb.on_epoch_end(t, epoch, {"val_loss": v})
        if t.scheduler is not None:  # a step of training between epochs
            t.optimizer.step()
            t.scheduler.step()
        out.append(t.optimizer.param_groups[0]["lr"])
    return out


def test_exact_lr_history_with_patience_cooldown_and_min_lr():
    t = _trainer()
    cb = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    got = lr_history(cb, t, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    # reduce at epoch 3 (0.5), cooldown 1 epoch, reduce again at epoch 6 (0.25), epoch 9 floor 0.2
    assert got == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]
    assert [e for e, _ in cb.reductions] == [3, 6, 9]


def test_reduction_survives_the_next_schedule_step():
    t = _trainer()
    cb = ReduceLROnPlateau(factor=0.1, patience=0)
    cb.on_epoch_end(t, 0, {"val_loss": 1.0})
    cb.on_epoch_end(t, 1, {"val_loss": 2.0})
    t.optimizer.step()
    t.scheduler.step()
    assert t.optimizer.param_groups[0]["lr"] == pytest.approx(0.1)
    assert t.scheduler.state_dict()["base_lrs"] == [pytest.approx(0.1)]


def test_without_scheduler_and_improvement_resets():
    t = _trainer(with_scheduler=False)
    cb = ReduceLROnPlateau(factor=0.5, patience=1)
    assert lr_history(cb, t, [3, 2, 1, 0.5]) == [1.0, 1.0, 1.0, 1.0]
    assert lr_history(cb, t, [0.6]) == [0.5]


def test_state_round_trip_and_validation():
    t = _trainer()
    cb = ReduceLROnPlateau(factor=0.5, patience=3)
    lr_history(cb, t, [1.0, 1.1])
    other = ReduceLROnPlateau(factor=0.5, patience=3)
    other.load_state_dict(cb.state_dict())
    assert other.monitor.wait == 1 and other.monitor.best == 1.0
    with pytest.raises(ConfigError, match="factor"):
        ReduceLROnPlateau(factor=1.5)
