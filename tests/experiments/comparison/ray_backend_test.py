"""The Ray backend against the process backend on a tiny 2-variant x 2-seed comparison: the
same numbers; a SIGKILLed worker's trial retried by Ray and resumed from its checkpoints; a
finished trial never rerun; the shared-storage check before any trial. One local Ray for the
whole module (starting Ray on a loaded 2-core machine takes ~15 s)."""

import json
import os
import re
import signal
import threading
import time

import pytest

ray = pytest.importorskip("ray")

from trainwise.errors import ConfigError  # noqa: E402 - after the skip
from trainwise.experiments.comparison import shared_storage  # noqa: E402
from trainwise.experiments.comparison.compare import compare  # noqa: E402
from trainwise.experiments.comparison.shared_storage import Node  # noqa: E402

# 150 training samples / batch 32 = 5 steps an epoch, 4 epochs; a checkpoint every 2 steps, so a
# kill after step 4 has one to resume from.
TINY = {
    "seed": 0,
    "data": {"name": "circles", "n_samples": 200, "validation_split": 0.25, "split": "stratified"},
    "model": {"name": "mlp", "hidden": [8]},
    "optimizer": {"name": "adam", "lr": 0.02},
    "training": {"epochs": 4, "batch_size": 32},
    "checkpoint": {"every_steps": 2},
    "doctor": False,
}
VARY = ["model.norm=none,batch"]


def _numbers(results):
    """compare.json without what differs between two runs of the same trials: wall times
    (and the folder the config names)."""
    out = []
    for v in results["variants"]:
        trials = [{k: t[k] for k in ("seed", "dir", "status", "metrics")} for t in v["trials"]]
        out.append({"name": v["name"], "trials": trials, "stats": v["stats"], "diff": v["diff"]})
    return out


def _compare(out, **kw):
    kw = {"vary": VARY, "seeds": 2, "echo": lambda *_: None, **kw}
    return compare(TINY, out_dir=out, **kw)


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The process backend's results (in this process: the same trial function a pool
    worker runs; runner_test shows 2 workers give the in-process numbers)."""
    r = _compare(tmp_path_factory.mktemp("ref") / "cmp", workers=1)
    assert r.failed == 0
    return _numbers(r.results)


def test_ray_gives_the_process_backend_numbers_and_never_reruns_a_finished_trial(
    local_ray, reference, tmp_path
):
    out = tmp_path / "cmp"
    r = _compare(out, backend="ray")
    assert r.failed == 0 and not r.interrupted
    assert _numbers(r.results) == reference
    saved = json.loads((out / "compare.json").read_text())
    assert _numbers(saved) == reference

    # one trial lost its summary (killed after its last checkpoint): only it runs again,
    # resumed from its checkpoints; the three finished ones are read back
    summaries = sorted(out.glob("trials/*/seed-*/summary.json"))
    assert len(summaries) == 4
    lost = out / "trials/model.norm=batch/seed-1/summary.json"
    lost.unlink()
    stamps = {p: p.stat().st_mtime_ns for p in summaries if p != lost}
    lines = []
    again = _compare(out, backend="ray", echo=lines.append)
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert sum("finished earlier" in x for x in lines) == 3
    assert "resuming" in (lost.parent / "log.txt").read_text()
    assert _numbers(again.results) == reference


def _kill_when_checkpointed(trial_dir, step, done):
    """Watch ``trial_dir``; once its checkpoint of ``step`` exists, SIGKILL the process that
    runs it (the pid its log.txt names). Records the pid in ``done``."""
    deadline = time.time() + 120
    while time.time() < deadline:
        ckpts = trial_dir / "checkpoints"
        steps = [int(p.name[5:]) for p in ckpts.glob("step-*")] if ckpts.is_dir() else []
        if steps and max(steps) >= step:
            pid = int(re.findall(r"starting \(pid (\d+)\)", (trial_dir / "log.txt").read_text())[0])
            os.kill(pid, signal.SIGKILL)
            done.append(pid)
            return
        time.sleep(0.002)


def test_a_sigkilled_worker_is_retried_by_ray_and_resumes(local_ray, reference, tmp_path):
    out = tmp_path / "cmp"
    trial_dir = out / "trials/model.norm=none/seed-0"
    killed: list[int] = []
    watcher = threading.Thread(target=_kill_when_checkpointed, args=(trial_dir, 4, killed))
    watcher.start()
    r = _compare(out, backend="ray", seeds=1)  # seed 0 of both variants
    watcher.join()
    assert killed and killed[0] != os.getpid()
    assert r.failed == 0 and not r.interrupted
    log = (trial_dir / "log.txt").read_text()
    # the first attempt died mid-run; Ray's retry, in another worker, resumed it
    assert f"starting (pid {killed[0]})" in log
    resumed = re.findall(r"resuming \(pid (\d+)\)", log)
    assert resumed and int(resumed[0]) != killed[0]
    seed0 = [(v["name"], v["trials"][0]) for v in reference]
    assert [(v["name"], v["trials"][0]) for v in _numbers(r.results)] == seed0


def test_a_node_that_cannot_see_out_stops_the_comparison_before_any_trial(
    local_ray, tmp_path, monkeypatch
):
    real = shared_storage.alive_nodes(local_ray)
    assert len(real) == 1
    # the check passes on the real (one-node) cluster and leaves nothing behind
    assert shared_storage.check_shared_storage(local_ray, tmp_path) == real
    assert list(tmp_path.iterdir()) == []

    gone = Node("ab" * 28, "10.9.9.9")  # no such node: its probe cannot run
    monkeypatch.setattr(shared_storage, "alive_nodes", lambda ray: real + [gone])
    out = tmp_path / "cmp"
    with pytest.raises(ConfigError) as info:
        _compare(out, backend="ray", address="auto")
    msg = str(info.value)
    assert "is not shared storage: 1 of 2 Ray node(s) cannot see it" in msg
    assert "10.9.9.9 (node abababababab): could not run the check there" in msg
    assert real[0].address not in msg.split("\n", 1)[1].split("Allowed")[0]
    assert not (out / "trials").exists()
