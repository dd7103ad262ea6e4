import json
import math

import yaml

from trainwise.report.run_data import doctor_was_off, finite, is_run_dir, load_run


def test_reads_every_file_of_a_run(run_dir):
    run = load_run(run_dir)
    assert run.name == "run" and run.date is not None
    assert [m["epoch"] for m in run.metrics] == [1, 2, 3, 4]
    assert len(run.lr_steps) == 40 and len(run.probes) == 12
    assert run.findings[0]["code"] == "lr_too_high"
    assert run.summary["best_epoch"] == 2 and run.lr_find["suggested"] == 1e-3
    assert run.activation == "relu" and run.notes == {}


def test_missing_files_are_none_with_a_note(tmp_path):
    (tmp_path / "metrics.jsonl").write_text('{"epoch": 1, "loss": NaN}\n{"epoch": 2, "lo')
    run = load_run(tmp_path)
    assert len(run.metrics) == 1 and math.isnan(run.metrics[0]["loss"])  # the cut line skipped
    assert run.config is None and run.probes is None and run.findings is None
    assert run.lr_steps is None and run.summary is None and run.lr_find is None
    assert set(run.notes) == {"lr_steps", "probes", "findings"}
    assert "doctor was off" in run.notes["probes"]


def test_findings_fall_back_to_summary_and_name_to_output_name(make_run, make_finding, tmp_path):
    run_dir = make_run(tmp_path / "r", name="my-run", findings=[make_finding()])
    (run_dir / "findings.json").unlink()
    run = load_run(run_dir)
    assert run.name == "my-run" and run.findings[0]["code"] == "lr_too_high"


def test_unreadable_json_is_treated_as_missing(make_run, tmp_path):
    run_dir = make_run(tmp_path / "r")
    (run_dir / "summary.json").write_text("{broken")
    (run_dir / "lr_steps.json").write_text(json.dumps({"not": "a list"}))
    run = load_run(run_dir)
    assert run.summary is None and run.lr_steps is None


def test_is_run_dir(tmp_path):
    assert not is_run_dir(tmp_path)
    (tmp_path / "lr_find.json").write_text("{}")
    assert is_run_dir(tmp_path)


def test_finite():
    assert finite(1) == 1.0 and math.isnan(finite(None)) and math.isnan(finite("inf"))
    assert math.isnan(finite(float("-inf"))) and math.isnan(finite([1]))


def test_a_run_with_the_doctor_off_has_no_verdict(make_run, tmp_path):
    """summary.json says ``"doctor": "off"``: no findings (not an empty list), and a note."""
    run_dir = make_run(tmp_path / "off", probes=False)
    summary = json.loads((run_dir / "summary.json").read_text())
    summary.update(doctor="off", findings=None)
    (run_dir / "summary.json").write_text(json.dumps(summary))
    run = load_run(run_dir)
    assert run.findings is None and "doctor was off" in run.notes["findings"]
    assert "nothing was checked" in run.notes["findings"]


def test_an_older_run_with_the_doctor_off_is_read_from_its_config(make_run, tmp_path):
    """Runs before the summary's ``doctor`` field wrote ``"findings": []``; their config.yaml
    says ``doctor: false``, which wins over that empty list."""
    run_dir = make_run(tmp_path / "old", probes=False)
    cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
    (run_dir / "config.yaml").write_text(yaml.safe_dump({**cfg, "doctor": False}))
    assert json.loads((run_dir / "summary.json").read_text())["findings"] == []
    run = load_run(run_dir)
    assert run.findings is None and "doctor was off" in run.notes["findings"]
    assert doctor_was_off(None, {"doctor": True}) is False
    assert doctor_was_off({"doctor": "on"}, {"doctor": False}) is False  # the summary wins
