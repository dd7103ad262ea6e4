import pytest

from trainwise.report.stat_format import (
    column_decimals,
    decimals,
    diff_header,
    diff_tone,
    format_diff,
    format_interval,
    format_metric_value,
    format_seconds,
    format_stat,
    metric_header,
)

S3 = {"mean": 2.0, "std": 1.0, "n": 3, "ci95": [-0.484, 4.484]}


@pytest.mark.parametrize(
    "metric,stat,text",
    [
        ("val_loss", S3, "2.000 ± 1.000 [-0.484, 4.484]"),
        (
            "test_accuracy",
            {"mean": 0.952, "std": 0.004, "n": 3, "ci95": [0.942, 0.962]},
            "95.20 ± 0.40 [94.20, 96.20]",
        ),
        (
            "test_mse",
            {"mean": 152.31, "std": 3.0, "n": 3, "ci95": [144.9, 159.8]},
            "152.3 ± 3.0 [144.9, 159.8]",
        ),
        ("val_loss", {"mean": 0.2134, "std": None, "n": 1, "ci95": None}, "0.2134"),
        ("val_loss", {"mean": None, "std": None, "n": 0, "ci95": None}, "—"),
    ],
)
def test_format_stat(metric, stat, text):
    assert format_stat(metric, stat) == text


def test_format_diff_and_seconds():
    d = {"mean": 0.012, "std": 0.003, "n": 3, "ci95": [0.004, 0.020], "p": 0.0213}
    assert format_diff("test_accuracy", d) == "+1.20 [+0.40, +2.00] p=0.021"
    assert (
        format_diff("val_loss", {**d, "mean": -0.012, "p": None}) == "-0.01200 [+0.00400, +0.02000]"
    )
    assert format_diff("val_loss", {}) == "—"
    assert (format_seconds(12.06), format_seconds(0.042)) == ("12.1 s", "0.04 s")


def test_interval_alone_and_the_stat_without_it():
    s = {"mean": 0.952, "std": 0.004, "n": 3, "ci95": [0.942, 0.962]}
    assert format_stat("test_accuracy", s, interval=False) == "95.20 ± 0.40"
    assert format_interval("test_accuracy", s["ci95"], 2) == "[94.20, 96.20]"
    assert format_interval("val_loss", [-0.01, 0.02], 3, sign=True) == "[-0.010, +0.020]"
    assert format_interval("val_loss", None, 3) == "—"
    assert format_interval("val_loss", [None, 0.2], 3) == "—"


@pytest.mark.parametrize(
    "metric,reference,places",
    [
        ("val_accuracy", 0.0123, 2),  # accuracies: always 2 decimals of a percentage
        ("val_loss", 0.21, 4),
        ("val_loss", 0.0021, 6),  # 4 significant digits ...
        ("val_loss", 1e-9, 6),  # ... but never more than 6 decimals
        ("test_mse", 152.3, 1),
        ("test_mse", 12345.6, 0),
        ("val_loss", None, 4),
        ("val_loss", 0.0, 4),
    ],
)
def test_decimals(metric, reference, places):
    assert decimals(metric, reference) == places


def test_one_number_of_decimals_per_column_from_the_reference_row():
    ref = {"val_loss": {"mean": 0.31}, "test_mse": {"mean": 152.3}}
    assert column_decimals(["val_loss", "test_mse", "test_accuracy"], ref) == {
        "val_loss": 4,
        "test_mse": 1,
        "test_accuracy": 2,
    }
    # a row with a larger value keeps the column's decimals
    assert format_stat("test_mse", {"mean": 1520.25, "std": 3.0}, 1) == "1520.2 ± 3.0"


def test_headers_carry_the_unit():
    assert metric_header("val_accuracy") == "val_accuracy (%)"
    assert metric_header("val_loss") == "val_loss"
    assert (diff_header("val_accuracy"), diff_header("val_mae")) == (
        "Δ val_accuracy (pp)",
        "Δ val_mae",
    )


@pytest.mark.parametrize(
    "metric,ci,tone",
    [
        ("val_loss", [0.01, 0.09], "worse"),
        ("val_loss", [-0.09, -0.01], "better"),
        ("test_accuracy", [0.01, 0.09], "better"),
        ("test_accuracy", [-0.09, -0.01], "worse"),
        ("test_mae", [-0.09, -0.01], "better"),
        ("test_accuracy", [-0.01, 0.09], ""),  # the interval holds 0: no verdict
        ("test_accuracy", None, ""),
    ],
)
def test_diff_tone_follows_the_metric_direction(metric, ci, tone):
    assert diff_tone(metric, {"mean": 0.0, "ci95": ci}) == tone


def test_a_value_on_its_own():
    assert format_metric_value("accuracy", 0.952) == "95.20%"
    assert format_metric_value("test_log_loss", 0.31234) == "0.3123"
    assert format_metric_value("mse", 12345.6) == "12346"
    assert format_metric_value("mse", float("nan")) == "—"
    assert format_metric_value("mse", None) == "—"
    assert format_seconds(None) == "—"
