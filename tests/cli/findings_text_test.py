"""The doctor's findings as blocks: readable at 80 columns and in a log, with every ``--set``
fix on one unbroken line (issue 15: a 5-column table broke ``optimizer.lr=0`` / ``.0086``)."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from trainwise.cli.findings_text import (
    VerdictWatch,
    override_text,
    overrides_line,
    print_findings,
    where_and_when,
)
from trainwise.config.overrides import parse_value

LONG = (
    "the learning rate 0.5 is too high for this model: the updates are 31% of the weights "
    "at step 40 and the loss rose 3 times in 5 probes, which is what a step size past the "
    "edge of stability looks like; lowering it usually fixes both at once"
)

FINDINGS = [
    {
        "code": "lr_too_high",
        "severity": "warning",
        "message": LONG,
        "fix": {
            "text": "lower the learning rate about 60x, to where the LR finder's curve still falls",
            "overrides": {
                "optimizer.lr": 0.0086,
                "training.grad_clip_norm": 1.0,
                "schedule.name": "cosine",
            },
        },
        "step": 40,
        "epoch": 2,
        "where": "features.dense1",
        "evidence": {"update_ratio": 0.31},
    },
    {
        "code": "nan_in_data",
        "severity": "error",
        "message": "train x: 128 of 1280 values are NaN",
        "fix": {"text": "impute or drop them", "overrides": {"data.faults.nan_fraction": 0.0}},
        "step": None,
        "epoch": None,
        "where": None,
        "evidence": {},
    },
    {
        "code": "class_imbalance",
        "severity": "info",
        "message": "the largest class is 9x the smallest",
        "fix": {"text": "weigh the classes", "overrides": {}},
        "step": None,
        "epoch": None,
        "where": "y_train",
        "evidence": {},
    },
]


def _render(width: int, terminal: bool = False) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=terminal, color_system=None)
    print_findings(console, FINDINGS, "trainwise doctor: 3 finding(s)")
    return buf.getvalue()


@pytest.mark.parametrize("width", [80, 60, 40])
def test_every_set_override_is_on_one_unbroken_line(width):
    text = _render(width)
    lines = text.splitlines()
    for finding in FINDINGS:
        for key, value in finding["fix"]["overrides"].items():
            flag = override_text(key, value)
            assert any(flag in line for line in lines), (flag, text)
        if finding["fix"]["overrides"]:
            whole = overrides_line(finding["fix"]["overrides"])
            assert any(line.strip() == whole for line in lines), text
    assert "optimizer.lr=0.0086" in text  # not "optimizer.lr=0" / ".0086"


def test_blocks_read_at_80_columns():
    text = _render(80)
    lines = text.splitlines()
    # everything but the --set lines fits the width: the message is a wrapped paragraph
    assert all(len(line) <= 80 for line in lines if "--set" not in line), text
    assert "1. WARNING lr_too_high" in lines and "2. ERROR nan_in_data" in lines
    assert "3. INFO class_imbalance" in lines
    assert "   where: epoch 3, step 40 · features.dense1" in lines
    assert "   where: the data, before training" in lines and "   where: y_train" in lines
    message = [line for line in lines if line.startswith("   ") and "edge of stability" in line]
    assert message and len(message[0]) > 50  # a paragraph, not a 15-character column
    words = " ".join(line.strip() for line in lines)
    assert LONG in words  # the whole message, wrapped at spaces only
    assert "fix: lower the learning rate about 60x" in words
    assert not re.search(r"[┃│┏━]", text)  # no table rules


def test_a_terminal_gets_the_same_words_with_colour():
    plain, coloured = _render(80), _render(80, terminal=True)
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_overrides_are_spelled_as_set_parses_them():
    assert override_text("optimizer.lr", 0.008634) == "--set optimizer.lr=0.00863"
    assert override_text("data.shuffle", True) == "--set data.shuffle=true"
    assert override_text("callbacks.ema", None) == "--set callbacks.ema=null"
    assert override_text("model.hidden", [64, 64]) == "--set 'model.hidden=[64,64]'"
    for key, value in [("model.hidden", [64, 64]), ("optimizer.lr", 3e-4), ("a.b", False)]:
        _, _, raw = override_text(key, value).removeprefix("--set ").strip("'").partition("=")
        assert parse_value(raw) == value


def test_where_and_when():
    assert where_and_when({"epoch": 0, "step": 5}) == "epoch 1, step 5"
    assert where_and_when({"where": "x_train"}) == "x_train"
    assert where_and_when({}) == "the data, before training"


def test_verdict_watch_passes_lines_on_and_notices_the_clean_verdict():
    seen = []
    watch = VerdictWatch(seen.append, "doctor: no problems found")
    watch("epoch 1/2 ...")
    assert not watch.said_clean
    watch("doctor: no problems found")
    assert watch.said_clean and seen == ["epoch 1/2 ...", "doctor: no problems found"]
