"""``trainwise doctor CONFIG``: preflight, a monitored run, the findings printed and saved."""

import json

from trainwise.cli.main import main

SHORT = ["--set", "training.progress=off"]


def test_a_healthy_config_trains_and_saves_its_findings_file(tmp_path, capsys):
    # the example's full 60 epochs (~5 s): cut to 3 the doctor rightly reports underfitting
    # (after 2 of 3 epochs the loss is still 0.68 of ln 2)
    out = tmp_path / "healthy"
    assert main(["doctor", "examples/circles.yaml", *SHORT, "--out", str(out), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)  # stdout carries the JSON alone
    assert json.loads((out / "findings.json").read_text()) == printed
    assert not [f for f in printed if f["severity"] in ("warning", "error")]
    assert (out / "metrics.jsonl").exists()  # it trained


def test_nan_inputs_are_named_and_training_is_not_started(tmp_path, capsys):
    out = tmp_path / "nan"
    args = ["doctor", "examples/circles.yaml", *SHORT, "--set", "data.faults.nan_fraction=0.05"]
    assert main([*args, "--out", str(out), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in found if f["severity"] == "error"] == ["nan_in_data"]
    nan = next(f for f in found if f["code"] == "nan_in_data")
    assert nan["fix"]["text"] and nan["where"]
    assert json.loads((out / "findings.json").read_text()) == found
    assert not (out / "metrics.jsonl").exists()  # stopped before training
    # the table form names the stop
    assert main([*args, "--out", str(tmp_path / "table")]) == 0
    text = capsys.readouterr().out
    assert "training was not started" in text and "nan_in_data" in text
