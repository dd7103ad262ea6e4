import os
import signal
import time

from trainwise.config.validate import validate_config
from trainwise.experiments.comparison.pool_backend import PoolBackend
from trainwise.experiments.comparison.trial import TrialSpec

TINY = {
    "data": {"name": "circles", "n_samples": 200, "validation_split": 0.25, "split": "stratified"},
    "model": {"name": "mlp", "hidden": [8]},
    "training": {"epochs": 1, "batch_size": 32, "progress": "off"},
    "doctor": False,
}


def _spec(name):
    from trainwise.run.schema import Config

    return TrialSpec(name, 0, None, None, f"trials/{name}/seed-0", validate_config(TINY, Config))


def test_a_killed_worker_fails_its_trial_and_the_ones_after_it(tmp_path):
    backend = PoolBackend(workers=4)
    assert backend.start(tmp_path, trials=1) == 1  # at most the trials left
    try:
        first = backend.submit(_spec("a"), tmp_path)
        deadline = time.time() + 60
        while not backend.pool._processes and time.time() < deadline:
            time.sleep(0.01)
        for pid in list(backend.pool._processes):
            os.kill(pid, signal.SIGKILL)
        rec = backend.result(backend.wait([first])[0], _spec("a"))
        assert rec["status"] == "failed" and rec["error"].startswith("BrokenProcessPool")
        assert (rec["variant"], rec["dir"], rec["wall_seconds"]) == ("a", "trials/a/seed-0", None)
        # the pool is broken: a later trial is a failed record at once, not an exception
        later = backend.submit(_spec("b"), tmp_path)
        assert backend.result(later, _spec("b"))["status"] == "failed"
    finally:
        backend.close()
    assert backend.pool is None
