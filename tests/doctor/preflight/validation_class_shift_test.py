import numpy as np

from trainwise.doctor.preflight.run_preflight import run_preflight
from trainwise.doctor.preflight.validation_class_shift import check_validation_class_shift


def test_a_split_cut_from_the_sorted_tail_is_a_class_shift_not_a_feature_shift():
    rng = np.random.default_rng(0)
    y = np.sort(np.repeat(np.arange(10), 60))
    x = rng.normal(size=(600, 4)) + y[:, None]  # features follow the class
    order = rng.permutation(450)
    found = run_preflight(x[:450][order], y[:450][order], x_val=x[450:], y_val=y[450:])
    assert [f.code for f in found] == ["validation_class_shift"]  # no distribution_shift
    f = found[0]
    assert f.where == "y_val" and f.evidence["missing_in_train"] == [8, 9]
    assert f.evidence["total_variation"] > 0.9 and f.evidence["p_value"] < 1e-10


def test_random_splits_stay_quiet():
    rng = np.random.default_rng(1)
    alarms = 0
    for _ in range(200):
        y = rng.integers(0, 10, 1000)
        alarms += bool(check_validation_class_shift(y[:800], y[800:]))
    assert alarms == 0


def test_a_small_but_significant_wobble_is_below_the_effect_size():
    y_tr = np.repeat([0, 1], [50_000, 50_000])
    y_va = np.repeat([0, 1], [5_300, 4_700])  # p ~ 1e-9, but only 3% would change class
    assert check_validation_class_shift(y_tr, y_va) == []
