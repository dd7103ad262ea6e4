from trainwise.report.compare_data import load_compare
from trainwise.report.compare_page import compare_context, fmt_metric


def test_rows_of_the_results_table(compare_dir):
    ctx = compare_context(load_compare(compare_dir))
    base, drop = ctx["rows"]
    assert base.is_baseline and base.cells[0]["diff"] == "baseline"
    assert base.cells[0]["mean"] == "90.00% ± 0.40" and base.cells[0]["ci"] == "[88.00, 93.00]"
    assert base.links == [("seed 0", "trials/baseline/seed-0/report.html")]
    assert drop.trials == "2 of 3" and drop.overrides == "--set model.dropout=0.2"
    assert drop.cells[0]["diff"] == "+1.20 pp [+0.40, +2.00], p = 0.02"
    assert drop.cells[0]["tone"] == "better"
    assert drop.cells[1] == {"mean": "0.3", "ci": "–", "diff": "-0.01", "tone": ""}
    assert drop.wall == "1.5 s" and drop.findings["codes"] == [("lr_too_high", "warning", 1)]
    assert ("trials per variant", "seeds 0, 1") in ctx["facts"]


def test_tone_follows_the_metrics_direction(compare_dir):
    data = load_compare(compare_dir)
    drop = data.variants[1]
    drop.diff["val_loss"] = {"mean": 0.05, "ci95": [0.01, 0.09], "p": 0.01}
    drop.diff["test_accuracy"] = {"mean": -0.05, "ci95": [-0.09, -0.01], "p": 0.01}
    row = compare_context(data)["rows"][1]
    assert row.cells[0]["tone"] == "worse" and row.cells[1]["tone"] == "worse"


def test_fmt_metric():
    assert (
        fmt_metric("val_accuracy", 0.5) == "50.00%"
        and fmt_metric("val_mse", 12345.6) == "1.235e+04"
    )
    assert fmt_metric("loss", float("nan")) == "–" and fmt_metric("loss", -0.5, diff=True) == "-0.5"
