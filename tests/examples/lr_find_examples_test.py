"""``trainwise lr-find CONFIG`` with its default sweep, on every example config: it either
suggests an LR, or says why not and names a retry whose sweep does suggest one (issue 15:
the circles example needs ``--steps 300`` from a higher ``--start``).

Configs whose sweep is the same (the same data, model, loss, optimizer, batch size and seed;
epochs, schedules and ``compare:`` sections do not enter a sweep) are swept once, which keeps
the whole file under a minute on a laptop CPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainwise.cli.main import main
from trainwise.run import load_config
from trainwise.training.lr_finder import lr_find_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def _sweep_key(path: Path) -> str:
    cfg = load_config(path).model_dump(mode="json")
    keep = {k: cfg[k] for k in ("data", "model", "loss", "optimizer", "seed")}
    keep["batch_size"] = cfg["training"]["batch_size"]
    return json.dumps(keep, sort_keys=True)


def _distinct_sweeps() -> list[Path]:
    first: dict[str, Path] = {}
    for path in EXAMPLES:
        first.setdefault(_sweep_key(path), path)
    return list(first.values())


SWEEPS = _distinct_sweeps()


def test_every_example_is_swept():
    assert len(EXAMPLES) >= 10 and len(SWEEPS) < len(EXAMPLES)  # some configs share a sweep
    assert {p.name for p in SWEEPS} >= {"circles.yaml", "regression.yaml", "digits.yaml"}


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_default_sweep_suggests_or_names_a_retry_that_does(path, tmp_path):
    cfg = load_config(path, ["training.device=cpu"])
    result, _ = lr_find_config(cfg, tmp_path / "default", echo=lambda *a: None)
    if result.suggested is not None:
        assert result.retry == {} and result.message.startswith("suggested LR")
        return
    # no suggestion: the message says why and which sweep to run instead, and that sweep works
    assert result.retry, result.message
    assert result.message.startswith("no suggestion: ") and "Retry with" in result.message
    again, _ = lr_find_config(cfg, tmp_path / "retry", echo=lambda *a: None, **result.retry)
    assert again.suggested is not None, (result.message, again.message)


def test_cli_prints_the_retry_as_flags(tmp_path, capsys):
    """circles with the defaults: no suggestion, and the exact command that gives one."""
    out = tmp_path / "lrf"
    assert main(["lr-find", "examples/circles.yaml", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "no suggestion: the loss stayed near its starting level" in printed
    rerun = next(line for line in printed.splitlines() if line.startswith("rerun: "))
    assert rerun.startswith("rerun: trainwise lr-find examples/circles.yaml --start ")
    assert "--steps 300" in rerun
    saved = json.loads((out / "lr_find.json").read_text())
    assert saved["suggested"] is None and saved["retry"]["num_steps"] == 300
    argv = rerun.removeprefix("rerun: trainwise ").split() + ["--out", str(tmp_path / "again")]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "suggested LR" in printed and "rerun:" not in printed
