import io
import sys

import pytest

from trainwise.config.validate import validate_config
from trainwise.errors import ConfigError
from trainwise.experiments.comparison.pool_backend import PoolBackend
from trainwise.experiments.comparison.runner import TrialProgress, make_backend, run_trials
from trainwise.experiments.comparison.trial import TrialSpec

TINY = {
    "data": {"name": "circles", "n_samples": 200, "validation_split": 0.25, "split": "stratified"},
    "model": {"name": "mlp", "hidden": [8]},
    "optimizer": {"name": "adam", "lr": 0.02},
    "training": {"epochs": 2, "batch_size": 32, "progress": "off"},
    "doctor": False,
}


def _specs():
    from trainwise.run.schema import Config

    out = []
    for name, norm in (("base", "none"), ("+bn", "batch")):
        cfg = validate_config({**TINY, "model": {**TINY["model"], "norm": norm}}, Config)
        out.append(TrialSpec(name, 0, None, None, f"trials/{name}/seed-0", cfg))
    return out


def test_two_worker_processes_give_the_in_process_results(tmp_path):
    lines: list[str] = []
    specs = _specs()
    one, stopped = run_trials(specs, tmp_path / "one", 1, TrialProgress(2, "lines", lines.append))
    assert not stopped and lines[0].startswith("[1/2] base seed 0: test_accuracy ")
    two, stopped = run_trials(specs, tmp_path / "two", 2, TrialProgress(2, "lines", print))
    assert not stopped
    by_variant = {r["variant"]: r for r in two}
    assert set(by_variant) == {"base", "+bn"}
    for rec in one:
        other = by_variant[rec["variant"]]
        assert other["status"] == "done" and other["dir"] == rec["dir"]
        assert other["summary"]["test"] == pytest.approx(rec["summary"]["test"], rel=1e-5)
    assert (tmp_path / "two/trials/+bn/seed-0/model.safetensors").is_file()

    # everything finished: read back here, no worker is started
    lines.clear()
    again, _ = run_trials(specs, tmp_path / "two", 2, TrialProgress(2, "lines", lines.append))
    assert all(r["reused"] for r in again) and all("finished earlier" in x for x in lines)


def test_progress_bar_prints_on_the_real_stdout(monkeypatch):
    fake = io.StringIO()
    monkeypatch.setattr(sys, "stdout", fake)
    bar = TrialProgress(1, "bar", lambda *_: pytest.fail("the bar does not echo"))
    spec = _specs()[0]
    rec = {"status": "failed", "error": "ValueError: x", "wall_seconds": 1.0}
    bar.advance(spec, rec, None)
    bar.close()
    text = fake.getvalue()
    assert "[1/1] base seed 0: FAILED ValueError: x (see trials/base/seed-0/log.txt)" in text
    assert "1/1" in text


def test_backend_choice_is_checked_before_anything_runs(monkeypatch):
    assert isinstance(make_backend("processes", 2, None), PoolBackend)
    with pytest.raises(ConfigError, match="backend: 'dask' is not allowed; allowed: 'processes'"):
        make_backend("dask", 2, None)
    with pytest.raises(ConfigError, match="address: 'auto' is only used with backend 'ray'"):
        make_backend("processes", 2, "auto")
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(ConfigError, match=r"pip install trainwise\[ray\]"):
        make_backend("ray", None, None)
