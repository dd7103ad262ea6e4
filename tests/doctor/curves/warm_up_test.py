from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.warm_up import lr_rising, warm_up_ruled_out


def _history(rows):
    h = CurveHistory()
    for e, row in enumerate(rows):
        h.add(e, {"loss": 1.0, **row})
    return h


def test_a_rising_logged_lr_is_a_warm_up_a_flat_one_is_not():
    h = _history([{"lr": 0.01}, {"lr": 0.05}, {"lr": 0.05}])
    assert not lr_rising(h, 0)  # one value shows no trend
    assert lr_rising(h, 1) and not lr_rising(h, 2)
    assert not warm_up_ruled_out(h, 0) and warm_up_ruled_out(h, 2)


def test_within_epoch_lrs_decide_even_on_the_first_epoch():
    up = _history([{"lr_start": 1e-4, "lr_end": 1e-3}])
    low_start = _history([{"lr_start": 1e-4, "lr_end": 1e-4, "lr_base": 1e-3}])
    steady = _history([{"lr_start": 1e-3, "lr_end": 1e-3, "lr_base": 1e-3}])
    assert lr_rising(up, 0) and lr_rising(low_start, 0) and not lr_rising(steady, 0)
    assert warm_up_ruled_out(steady, 0) and not warm_up_ruled_out(up, 0)


def test_no_learning_rate_logged_rules_a_warm_up_out():
    h = _history([{}, {}])
    assert not lr_rising(h, 1) and warm_up_ruled_out(h, 0)
