from pathlib import Path

from trainwise.report.run_data import RunData, load_run
from trainwise.report.run_page import header_facts, run_context


def test_context_of_a_complete_run(make_run, make_finding, tmp_path):
    run_dir = make_run(tmp_path / "run", findings=[make_finding()], probes=False, lr_find=True)
    ctx = run_context(load_run(run_dir))
    assert [p.id for p in ctx["curves"]] == ["plot-loss", "plot-metric", "plot-lr"]
    assert ctx["lr_find"].id == "plot-lr-find" and ctx["findings"][0].code == "lr_too_high"
    assert "circles" in ctx["config_yaml"]
    facts = dict(ctx["facts"])
    assert facts["test accuracy"] == "93.00%" and facts["best epoch"] == "2 of 4"
    assert facts["stopped"] == "ran all 4 epochs" and facts["parameters"] == "1,218"
    assert facts["training time"] == "1.2 s" and facts["data / model"] == "circles / mlp"


def test_stop_reason_and_unfinished_runs():
    s = {"stop_reason": "early stopping at epoch 7", "epochs_run": 7, "test": {}}
    assert ("stopped", "early stopping at epoch 7") in header_facts(
        RunData(Path("x"), "x", summary=s)
    )
    unfinished = header_facts(RunData(Path("x"), "x", metrics=[{"epoch": 1}]))
    assert unfinished[0][1].startswith("no summary.json") and unfinished[1] == (
        "epochs logged",
        "1",
    )


def test_run_without_doctor_has_no_findings_and_says_so(make_run, tmp_path):
    run = load_run(make_run(tmp_path / "r", probes=False))
    run.findings, run.notes["findings"] = None, "no findings.json: the doctor was off"
    ctx = run_context(run)
    assert ctx["findings"] is None and "doctor was off" in ctx["findings_note"]
    assert ctx["lr_find"] is None
