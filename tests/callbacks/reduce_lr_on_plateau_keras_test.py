"""Keras 3's ReduceLROnPlateau test cases (keras/src/callbacks/reduce_lr_on_plateau_test.py),
re-written against our hooks with scripted metrics instead of small fits.

Keras's cases start from ``Adam(0.1)`` and use ``min_delta`` 100 (or 10) so that no epoch after
the first counts as an improvement, whatever the fit does; the scripted values here only need
to differ by less than that. Our ``reductions`` record 1-based epochs: Keras's message "Epoch 2:
ReduceLROnPlateau reducing learning rate to 0.01" is our ``(2, 0.01)``. Where we differ on
purpose (cooldown, schedules), the test asserts our behaviour and docs/tricks.md says why.
"""

from types import SimpleNamespace

import pytest
import torch

from trainwise.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau


def _trainer(schedule=None):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([p], lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule) if schedule else None
    return SimpleNamespace(optimizer=opt, scheduler=sched)


def fit(cb, epochs, t=None, values=(0.5, 0.49, 0.51, 0.48, 0.5, 0.47)):
    """``epochs`` epochs of scripted val_loss (one optimizer step each); returns the trainer."""
    t = t or _trainer()
    cb.on_fit_start(t)
    for epoch in range(epochs):
        t.optimizer.step()
        if t.scheduler is not None:
            t.scheduler.step()
        cb.on_epoch_end(t, epoch, {"val_loss": values[epoch]})
    return t


def lr(t):
    return t.optimizer.param_groups[0]["lr"]


def test_reduces_lr_with_model_fit():
    cb = ReduceLROnPlateau(patience=1, factor=0.1, monitor="val_loss", min_delta=100)
    assert lr(fit(cb, 2)) == pytest.approx(0.01)


def test_reduction_is_recorded_like_kerass_verbose_message():
    # Keras logs "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.01."
    cb = ReduceLROnPlateau(patience=1, factor=0.1, min_delta=100)
    fit(cb, 2)
    assert [(e, pytest.approx(v)) for e, v in cb.reductions] == [(2, 0.01)]


def test_honors_min_lr():
    cb = ReduceLROnPlateau(patience=1, factor=0.1, min_delta=10, min_lr=0.005)
    t = fit(cb, 4)
    assert lr(t) == pytest.approx(0.005)
    assert [e for e, _ in cb.reductions] == [2, 3]  # at the floor, epoch 4 changes nothing


def test_cooldown_is_exactly_cooldown_epochs():
    # Keras: cooldown=2 reduces at (1-based) epochs 2 and 4, so 0.001 after 4 epochs; its
    # counter is spent on the epoch that would otherwise count, so cooldown=c skips c - 1
    # epochs. Ours skips exactly c: after 4 epochs one reduction, the second one at epoch 5.
    cb = ReduceLROnPlateau(patience=1, factor=0.1, min_delta=100, cooldown=2)
    assert lr(fit(cb, 4)) == pytest.approx(0.01)
    cb = ReduceLROnPlateau(patience=1, factor=0.1, min_delta=100, cooldown=2)
    assert lr(fit(cb, 5)) == pytest.approx(0.001)
    assert [e for e, _ in cb.reductions] == [2, 5]


def test_cooldown_one_is_not_a_no_op():
    # Keras: cooldown=1 reduces at every epoch from 2 on, as cooldown=0; ours waits one epoch
    cb = ReduceLROnPlateau(patience=1, factor=0.5, min_delta=100, cooldown=1)
    fit(cb, 6)
    assert [e for e, _ in cb.reductions] == [2, 4, 6]


def test_composes_with_a_schedule_instead_of_refusing_it():
    # Keras raises TypeError ("This optimizer was created with a LearningRateSchedule"); ours
    # scales the schedule's base LR, so the schedule keeps running at a tenth of its values
    def poly(step):
        return max(0.0, 1 - step / 10)  # PolynomialDecay(0.1, decay_steps=10) as a multiplier

    cb = ReduceLROnPlateau(patience=1, factor=0.1, min_delta=100)
    t = fit(cb, 2, t=_trainer(poly))
    assert lr(t) == pytest.approx(0.1 * 0.1 * poly(2))
    t.optimizer.step()
    t.scheduler.step()
    assert lr(t) == pytest.approx(0.1 * 0.1 * poly(3))


def test_state_reset_across_fit_calls():
    cb = ReduceLROnPlateau(patience=1, factor=0.1, monitor="loss", min_delta=0, cooldown=2)
    cb.on_fit_start(_trainer())
    # state of a first run
    cb.monitor.best, cb.monitor.wait, cb.cooldown_left = 0.5, 3, 2
    cb.reductions = [(3, 0.01)]
    cb.on_fit_start(_trainer())  # a new fit
    assert cb.monitor.best is None and cb.monitor.wait == 0 and cb.cooldown_left == 0
    assert cb.reductions == []


def test_a_reused_instance_reduces_like_a_fresh_one():
    cb = ReduceLROnPlateau(patience=1, factor=0.1, min_delta=100, cooldown=3)
    fit(cb, 3)  # ends inside a cooldown (2 epochs left), with a best of 0.5
    assert lr(fit(cb, 2)) == pytest.approx(0.01)  # the stale cooldown would keep 0.1
    assert [e for e, _ in cb.reductions] == [2]


def test_a_resumed_fit_keeps_the_loaded_state():
    cb = ReduceLROnPlateau(patience=2, factor=0.5, cooldown=1)
    fit(cb, 3, values=(1.0, 1.0, 1.0))
    state = cb.state_dict()
    resumed = ReduceLROnPlateau(patience=2, factor=0.5, cooldown=1)
    resumed.load_state_dict(state)  # the trainer loads before on_fit_start
    resumed.on_fit_start(_trainer())
    assert resumed.state_dict() == state and resumed.cooldown_left == 1
