import json
import math

import pytest

from trainwise.doctor.curves import check_test_shift
from trainwise.errors import ConfigError


def _val_test(rec):
    last = rec["history"][-1]
    return {k: v for k, v in last.items() if k.startswith("val_")}, rec["test"]


def test_recorded_shifted_test_set_is_reported(curves):
    rec = curves.load("testshift_digits_cnn")
    val, test = _val_test(rec)
    [f] = check_test_shift(val, test, epoch=19, step=400, n_val=rec["n_val"], n_test=rec["n_test"])
    assert (f.code, f.severity, f.epoch, f.step) == ("test_shift", "warning", 19, 400)
    ev = f.evidence
    assert ev["z"] > 3 and ev["accuracy_drop"] == pytest.approx(
        val["val_accuracy"] - test["test_accuracy"]
    )
    assert f"{test['test_accuracy']:.3f}" in f.message and "z = " in f.message
    assert f.fix.overrides == {"data.split": "stratified"}
    json.dumps(f.to_dict())


def test_recorded_runs_without_a_shift_stay_silent(curves):
    for name in curves.recorded:
        rec = curves.load(name)
        if "test_shift" in rec["expected"] or not rec["test"]:
            continue
        val, test = _val_test(rec)
        found = check_test_shift(val, test, n_val=rec["n_val"], n_test=rec["n_test"])
        assert found == [], (name, [str(f) for f in found])


def test_z_statistic_closed_form():
    [f] = check_test_shift({"accuracy": 0.9}, {"accuracy": 0.8}, n_val=1000, n_test=1000)
    se = math.sqrt(0.9 * 0.1 / 1000 + 0.8 * 0.2 / 1000)
    assert f.evidence["z"] == pytest.approx(0.1 / se)
    assert f.evidence["p_value"] == pytest.approx(0.5 * math.erfc((0.1 / se) / math.sqrt(2)))


@pytest.mark.parametrize(
    ("a_val", "a_test", "n_val", "n_test", "fires"),
    [
        (0.86, 0.80, 80, 200, False),  # circles-sized sets: 1.2 standard errors
        (0.86, 0.70, 80, 200, True),  # 3.2 standard errors
        (0.99, 0.975, 400, 1000, False),  # below the 3-point minimum
        (0.99, 0.95, 400, 1000, True),
        (0.60, 0.56, 5000, 5000, False),  # significant but error only 1.1x higher
        (0.99, 0.95, None, None, False),  # no sizes: needs a 5-point drop
        (0.99, 0.93, None, None, True),
        (0.90, 0.95, 400, 1000, False),  # test better than validation
    ],
)
def test_accuracy_thresholds(a_val, a_test, n_val, n_test, fires):
    found = check_test_shift(
        {"val_accuracy": a_val}, {"test_accuracy": a_test}, n_val=n_val, n_test=n_test
    )
    assert bool(found) is fires


def test_regression_compares_mse_against_its_sampling_noise():
    val, test = {"val_loss": 10.0, "val_mse": 10.0}, {"test_loss": 17.0, "test_mse": 17.0}
    [f] = check_test_shift(val, test, n_val=200, n_test=200)
    assert f.evidence["ratio"] == pytest.approx(1.7) and "mse" in f.message
    assert f.evidence["relative_se"] == pytest.approx(math.sqrt(2 / 200 + 2 / 200))
    # 10 validation samples: the mean of squared errors is far too noisy for a 1.7x verdict
    assert check_test_shift(val, test, n_val=10, n_test=10) == []
    assert check_test_shift(val, {"test_mse": 12.0}) == []
    assert check_test_shift({"val_mae": 1.0}, {"test_mse": 12.0}) == []


def test_loss_decides_when_accuracy_is_missing():
    [f] = check_test_shift({"val_loss": 0.3, "note": "x"}, {"test_loss": 0.9})
    assert "loss" in f.message and f.evidence["ratio"] == pytest.approx(3.0)


def test_bad_sizes_name_the_field():
    with pytest.raises(ConfigError, match="n_test: 0"):
        check_test_shift({"accuracy": 0.9}, {"accuracy": 0.5}, n_val=10, n_test=0)
