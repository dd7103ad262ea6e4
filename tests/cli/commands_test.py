"""The CLI verbs' words about the doctor (issue 15): a run with the doctor off never says "no
problems found" (summary table, ``demo``, summary.json, the report); ``trainwise doctor``
prints its findings as blocks whose ``--set`` fixes stay whole at 80 columns, and says "no
problems found" once."""

from __future__ import annotations

import argparse
import json
import re

import pytest

from trainwise.cli import commands
from trainwise.cli.findings_text import override_text, overrides_line
from trainwise.cli.main import main
from trainwise.doctor.attach import summary_lines

CLEAN = summary_lines([])[0]  # what tw.fit prints at the end of a clean run
QUICK = ["--set", "training.epochs=2", "--set", "training.progress=lines"]


def test_run_with_the_doctor_off_says_so_everywhere(tmp_path, capsys):
    out = tmp_path / "off"
    assert (
        main(["run", "examples/circles.yaml", *QUICK, "--set", "doctor=false", "--out", str(out)])
        == 0
    )
    printed = capsys.readouterr().out
    assert "no problems found" not in printed.lower()
    assert re.search(r"doctor\s+│\s+off \(doctor: false\): nothing was checked", printed), printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["doctor"] == "off" and summary["findings"] is None
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "No problems found" not in html and "the doctor was off" in html


def test_demo_with_the_doctor_off_says_so(tmp_path, capsys):
    # the demo's own path (default recipe + --set), on small data so it takes seconds
    small = ["data.name=circles", "model.name=mlp", "training.epochs=1", "training.progress=off"]
    args = ["demo", "--out", str(tmp_path / "demo"), "--set", "doctor=false"]
    for item in small:
        args += ["--set", item]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "no problems found" not in printed.lower() and "off (doctor: false)" in printed


def test_the_summary_row_about_the_doctor():
    verdict = commands.doctor_verdict
    assert (
        verdict({"doctor": "off", "findings": None}) == "off (doctor: false): nothing was checked"
    )
    assert verdict({"doctor": "off", "findings": []}).startswith("off")  # off wins
    assert verdict({"doctor": "on", "findings": []}) == "0 findings"
    found = [{"code": f"c{i}", "severity": "warning"} for i in range(5)]
    row = verdict({"doctor": "on", "findings": found})
    assert row.startswith("5 finding(s): c0 (warning)") and "and 1 more" in row
    assert verdict({}) is None  # a summary from before the doctor fields


FINDING = {
    "code": "lr_too_high",
    "severity": "warning",
    "message": "the learning rate 0.5 is too high: the updates are 31% of the weights at "
    "step 40, and the loss rose in 3 of the last 5 probes " * 2,
    "fix": {
        "text": "lower the learning rate to the LR finder's suggestion",
        "overrides": {"optimizer.lr": 0.0086, "training.grad_clip_norm": 1.0},
    },
    "step": 40,
    "epoch": 2,
    "where": "features.dense2",
    "evidence": {},
}


def _fake_diagnose(monkeypatch, findings, echo_clean: bool):
    """``diagnose`` without training: echoes what tw.fit would (the clean verdict when it
    prints progress), returns a report of ``findings``."""

    def diagnose(cfg, out_dir=None, stem="doctor", echo=print):
        echo("epoch 1/1  loss 0.1")
        if echo_clean and not findings:
            echo(CLEAN)
        return {"run_dir": str(out_dir), "findings": findings, "trained": True, "summary": {}}

    monkeypatch.setattr("trainwise.run.diagnose.diagnose", diagnose)


@pytest.mark.parametrize("echo_clean", [True, False], ids=["run said it", "run was quiet"])
def test_doctor_says_no_problems_found_once(echo_clean, monkeypatch, tmp_path, capsys):
    _fake_diagnose(monkeypatch, [], echo_clean)
    assert main(["doctor", "examples/circles.yaml", "--out", str(tmp_path / "d")]) == 0
    printed = capsys.readouterr().out
    assert printed.count("no problems found") == 1, printed
    assert f"Run directory: {tmp_path / 'd'}" in printed


def test_doctor_prints_blocks_with_whole_set_lines_at_80_columns(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    _fake_diagnose(monkeypatch, [FINDING], echo_clean=False)
    assert main(["doctor", "examples/circles.yaml", "--out", str(tmp_path / "d")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "1. WARNING lr_too_high" in lines
    assert "   where: epoch 3, step 40 · features.dense2" in lines
    for key, value in FINDING["fix"]["overrides"].items():
        assert any(override_text(key, value) in line for line in lines), lines
    assert "   --set optimizer.lr=0.0086 --set training.grad_clip_norm=1" in lines
    assert all(len(line) <= 80 for line in lines if "--set" not in line and "/" not in line)


def test_doctor_on_a_real_run_prints_blocks_or_its_verdict_once(monkeypatch, tmp_path, capsys):
    """A real short run (3 epochs: the doctor rightly reports underfitting there): its real
    findings as blocks with whole ``--set`` lines at 80 columns, or the verdict once."""
    monkeypatch.setenv("COLUMNS", "80")
    out = tmp_path / "real"
    argv = ["doctor", "examples/circles.yaml", "--out", str(out)]
    assert main([*argv, "--set", "training.epochs=3", "--set", "training.progress=lines"]) == 0
    lines = capsys.readouterr().out.splitlines()
    found = json.loads((out / "findings.json").read_text())
    if not found:
        assert sum("no problems found" in line for line in lines) == 1, lines
        return
    assert not any("no problems found" in line for line in lines)
    for i, f in enumerate(found, 1):
        assert f"{i}. {f['severity'].upper()} {f['code']}" in lines
        if f["fix"]["overrides"]:
            assert "   " + overrides_line(f["fix"]["overrides"]) in lines


def test_lr_find_rerun_keeps_the_config_and_overrides():
    args = argparse.Namespace(
        config="my configs/c.yaml",
        overrides=["model.hidden=[8, 8]"],
        start=1e-7,
        end=10.0,
        steps=100,
    )
    line = commands.lr_find_rerun(args, {"start_lr": 1e-05, "num_steps": 300})
    assert line == (
        "trainwise lr-find 'my configs/c.yaml' --set 'model.hidden=[8, 8]' "
        "--start 1e-05 --end 10 --steps 300"
    )


@pytest.mark.parametrize(
    "fail_on, findings, code",
    [
        (None, [FINDING], 0),  # no gate: findings are the diagnosis, not a failure
        ("warning", [FINDING], 3),
        ("error", [FINDING], 0),  # a warning is below the gate
        ("warning", [], 0),
        ("error", [{**FINDING, "severity": "error"}], 3),
    ],
)
def test_doctor_fail_on_is_a_ci_gate_with_exit_3(fail_on, findings, code, monkeypatch, tmp_path):
    _fake_diagnose(monkeypatch, findings, echo_clean=False)
    gate = ["--fail-on", fail_on] if fail_on else []
    for extra in ([], ["--json"]):
        argv = ["doctor", "examples/circles.yaml", "--out", str(tmp_path / "d"), *gate, *extra]
        assert main(argv) == code


def test_doctor_fail_on_takes_only_warning_or_error(capsys):
    with pytest.raises(SystemExit) as exc:  # bad input: exit 2, as everywhere
        main(["doctor", "examples/circles.yaml", "--fail-on", "info"])
    assert exc.value.code == 2
    assert "--fail-on: invalid choice: 'info'" in capsys.readouterr().err
