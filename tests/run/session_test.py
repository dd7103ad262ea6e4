"""``trainwise run``'s session: what summary.json says about the doctor, and what a run
refused before its first step leaves behind (issue 15)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from trainwise import run_files
from trainwise.errors import ConfigError, DataError, TrainwiseError
from trainwise.run import load_config
from trainwise.run.session import chosen_dir, run_config, write_refusal

ROOT = Path(__file__).resolve().parents[2]
CIRCLES = ROOT / "examples" / "circles.yaml"
QUICK = ["training.epochs=2", "training.progress=off"]


def _quiet(*_):
    pass


def test_doctor_off_is_said_not_a_clean_bill(tmp_path):
    cfg = load_config(CIRCLES, [*QUICK, "doctor=false"])
    summary = run_config(cfg, tmp_path / "off", echo=_quiet)
    saved = json.loads((tmp_path / "off" / run_files.SUMMARY).read_text())
    assert saved["doctor"] == "off" and saved["findings"] is None
    assert summary["doctor"] == "off" and summary["findings"] is None
    assert not (tmp_path / "off" / run_files.FINDINGS).exists()
    html = Path(summary["report"]).read_text(encoding="utf-8")
    assert "the doctor was off for this run" in html and "No problems found" not in html


def test_doctor_on_lists_its_findings(tmp_path):
    cfg = load_config(CIRCLES, QUICK)
    summary = run_config(cfg, tmp_path / "on", echo=_quiet)
    saved = json.loads((tmp_path / "on" / run_files.SUMMARY).read_text())
    assert saved["doctor"] == "on" and isinstance(saved["findings"], list)
    found = json.loads((tmp_path / "on" / run_files.FINDINGS).read_text())
    assert saved["findings"] == found == summary["findings"]


def _npz_with_label(tmp_path: Path, bad_label: int) -> Path:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    y[5] = bad_label
    path = tmp_path / "data.npz"
    np.savez(path, x=rng.normal(size=(200, 4)).astype("float32"), y=y)
    return path


@pytest.mark.parametrize("fault", ["nan inputs", "label out of range", "missing file"])
def test_a_refused_run_leaves_its_config_and_why(fault, tmp_path):
    overrides = {
        "nan inputs": ["data.faults.nan_fraction=0.1"],
        "label out of range": ["data.name=npz", f"data.path={_npz_with_label(tmp_path, -1)}"],
        "missing file": ["data.name=csv", f"data.path={tmp_path / 'missing.csv'}"],
    }[fault]
    cfg = load_config(CIRCLES, [*QUICK, *overrides, f"output.dir={tmp_path / 'runs'}"])
    with pytest.raises(DataError) as info:
        run_config(cfg, None, stem="circles", echo=_quiet)
    (run_dir,) = (tmp_path / "runs").iterdir()
    # nothing that looks like a run: only the config and the error, which says why
    assert sorted(p.name for p in run_dir.iterdir()) == [run_files.CONFIG, run_files.ERROR]
    why = (run_dir / run_files.ERROR).read_text()
    assert str(info.value) in why and "refused before its first step" in why
    assert load_config(run_dir / run_files.CONFIG) == cfg  # the config that was refused


def test_a_run_after_a_refusal_in_the_same_folder_drops_the_stale_error(tmp_path):
    out = tmp_path / "run"
    bad = load_config(CIRCLES, [*QUICK, "data.faults.nan_fraction=0.1"])
    with pytest.raises(DataError):
        run_config(bad, out, echo=_quiet)
    assert (out / run_files.ERROR).is_file()
    run_config(load_config(CIRCLES, [*QUICK, "training.epochs=1"]), out, echo=_quiet)
    assert not (out / run_files.ERROR).exists() and (out / run_files.SUMMARY).is_file()


def test_resume_looks_past_refused_folders(tmp_path):
    cfg = load_config(CIRCLES, [f"output.dir={tmp_path}"])
    real, refused = tmp_path / "circles-1", tmp_path / "circles-2"
    (real / run_files.CHECKPOINTS / "step-1").mkdir(parents=True)
    refused.mkdir()
    write_refusal(refused, DataError("x: NaN"))
    os.utime(real, (1, 1))  # the refused folder is the newest
    assert chosen_dir(cfg, None, "circles", resume=True) == real


def test_a_config_given_as_a_mapping_is_validated_first(tmp_path):
    with pytest.raises(ConfigError, match=r"optimizer.lr: -1 is not allowed"):
        run_config({"optimizer": {"lr": -1}}, tmp_path / "never", echo=_quiet)
    with pytest.raises(ConfigError, match="allowed: a mapping of sections"):
        run_config(["not", "a", "config"], tmp_path / "never", echo=_quiet)
    assert not (tmp_path / "never").exists()
    assert issubclass(ConfigError, TrainwiseError)


def _entry_points():
    from trainwise.experiments.cross_validation.from_config import run_cross_validation
    from trainwise.run.diagnose import diagnose

    return {
        "run_config": lambda cfg, out: run_config(cfg, out, echo=_quiet),
        "diagnose": lambda cfg, out: diagnose(cfg, out, echo=_quiet),
        "run_cross_validation": lambda cfg, out: run_cross_validation(cfg, 2, out, echo=_quiet),
    }


@pytest.mark.parametrize("name", ["run_config", "diagnose", "run_cross_validation"])
def test_every_entry_point_taking_a_config_gives_the_project_error(name, tmp_path):
    call = _entry_points()[name]
    with pytest.raises(ConfigError) as info:
        call({"optimizer": {"lr": -1}, "training": {"batch_size": 0}}, tmp_path / "never")
    first, second = info.value.errors
    assert first == "optimizer.lr: -1 is not allowed: must be > 0"
    assert second.startswith("training.batch_size: 0 is not allowed")
    assert not (tmp_path / "never").exists()


def test_lr_find_config_names_what_it_takes(tmp_path):
    from trainwise.errors import ArgumentTypeError
    from trainwise.training.lr_finder import lr_find_config

    with pytest.raises(ArgumentTypeError, match="cfg: a dict is not allowed; allowed: a Config"):
        lr_find_config({"optimizer": {"lr": 1e-3}}, tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_resume_auto_starts_without_a_checkpoint_and_resumes_with_one(tmp_path, capsys):
    cfg = load_config(CIRCLES, [*QUICK, "doctor=false"])
    first = run_config(cfg, tmp_path / "a", echo=_quiet, resume="auto")  # nothing there: start
    assert first["epochs_run"] == 2
    longer = load_config(CIRCLES, ["training.epochs=3", "training.progress=off", "doctor=false"])
    said = []
    again = run_config(longer, tmp_path / "a", echo=said.append, resume="auto")
    assert again["epochs_run"] == 3 and any("resuming from" in s for s in said)


def test_several_processes_need_a_named_run_directory(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    cfg = load_config(CIRCLES, QUICK)
    with pytest.raises(ConfigError, match="--out: required with 2 processes"):
        run_config(cfg, None, echo=_quiet)
