import json

from trainwise.experiments.comparison.table import table_rows
from trainwise.report.compare_data import load_compare
from trainwise.report.compare_page import compare_context
from trainwise.report.report import write_report


def test_rows_of_the_results_table(compare_dir):
    ctx = compare_context(load_compare(compare_dir))
    base, drop = ctx["rows"]
    assert ctx["metrics"] == ["test_accuracy (%)", "val_loss"]  # the unit is in the header
    assert base.is_baseline and base.cells[0]["diff"] == "baseline"
    assert base.cells[0]["mean"] == "90.00 ± 0.40" and base.cells[0]["ci"] == "[88.00, 93.00]"
    assert base.links == [("seed 0", "trials/baseline/seed-0/report.html")]
    assert drop.trials == "2 of 3" and drop.overrides == "--set model.dropout=0.2"
    assert drop.cells[0]["diff"] == "+1.20 [+0.40, +2.00] p=0.02"
    assert drop.cells[0]["tone"] == "better"
    # val_loss: 4 significant digits of the baseline's mean (0.3), in every row of the column
    assert drop.cells[1] == {"mean": "0.3000", "ci": "—", "diff": "-0.0100", "tone": ""}
    assert drop.wall == "1.5 s" and drop.findings["codes"] == [("lr_too_high", "warning", 1)]
    assert ("trials per variant", "seeds 0, 1") in ctx["facts"]


def test_the_page_writes_each_number_as_compare_md_does(compare_dir):
    ctx = compare_context(load_compare(compare_dir))
    headers, rows = table_rows(json.loads((compare_dir / "compare.json").read_text()))
    for page_row, md_row in zip(ctx["rows"], rows):
        for cell, md_cell in zip(page_row.cells, md_row[1:]):
            ci = "" if cell["ci"] == "—" else " " + cell["ci"]
            assert md_cell == cell["mean"] + ci
    assert ctx["rows"][1].cells[0]["diff"] == rows[1][3]  # Δ of the first metric
    assert headers[1:3] == ctx["metrics"]


def test_tone_follows_the_metrics_direction(compare_dir):
    data = load_compare(compare_dir)
    drop = data.variants[1]
    drop.diff["val_loss"] = {"mean": 0.05, "ci95": [0.01, 0.09], "p": 0.01}
    drop.diff["test_accuracy"] = {"mean": -0.05, "ci95": [-0.09, -0.01], "p": 0.01}
    row = compare_context(data)["rows"][1]
    assert row.cells[0]["tone"] == "worse" and row.cells[1]["tone"] == "worse"


def _doctor_off(trial_dir):
    summary = json.loads((trial_dir / "summary.json").read_text())
    summary.update(doctor="off", findings=None)
    (trial_dir / "summary.json").write_text(json.dumps(summary))
    (trial_dir / "findings.json").unlink(missing_ok=True)


def test_trials_with_the_doctor_off_are_not_a_clean_bill(compare_dir):
    for seed in (0, 1):
        _doctor_off(compare_dir / f"trials/baseline/seed-{seed}")
    data = load_compare(compare_dir)
    assert [t.doctor_off for t in data.variants[0].trials] == [True, True]
    assert [t.doctor_off for t in data.variants[1].trials] == [False, False, False]
    base, drop = compare_context(data)["rows"]
    assert base.findings == {"codes": [], "trials": 0, "off": 2}
    assert drop.findings["off"] == 0 and drop.findings["trials"] == 2
    html = write_report(compare_dir).read_text(encoding="utf-8")
    assert "doctor off: nothing checked" in html and "the doctor was off" in html
    # neither variant reads clean: one was not checked, the other has a finding
    assert html.count("no problems found in any trial") == 0  # dropout has a finding
