"""The fast subset of the seeded-fault suite (``bench/doctor_suite.py --quick``), run as tests:
each quick scenario must find what it expects and nothing it does not allow, and the healthy
one must stay silent. Plus the suite's scoring on a hand-made table of results."""

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from doctor_scenarios import Scenario, all_scenarios  # noqa: E402
from doctor_suite import run_one, score  # noqa: E402

QUICK = [s for s in all_scenarios() if s.fast]


def test_the_quick_subset_covers_faults_of_every_stage_and_a_healthy_run():
    assert len(QUICK) >= 8 and any(s.healthy for s in QUICK)
    codes = {c for s in QUICK for c in s.expect}
    assert {"nan_in_data", "label_noise", "nan_loss", "lr_too_high", "overfitting"} <= codes


@pytest.mark.parametrize("scn", QUICK, ids=lambda s: s.name)
def test_quick_scenario(scn: Scenario):
    r = run_one(scn, scn.seeds[0])
    assert "error" not in r, r.get("error")
    found = set(r["found"])
    assert scn.expect <= found, f"missed {sorted(scn.expect - found)}: {r['messages']}"
    extra = found - scn.expect - scn.allow
    assert not extra, f"false alarms {sorted(extra)}: {r['messages']}"


def test_scoring_counts_hits_false_alarms_and_delays():
    faulty = Scenario("f/a", "d", "mlp", {"lr_too_high"}, allow={"dead_relu"})
    healthy = Scenario("h/a", "d", "mlp", set())
    scenarios = {"f/a": faulty, "h/a": healthy}
    results = [
        {"name": "f/a", "found": {"lr_too_high": 10, "dead_relu": 3}, "total_steps": 100},
        {"name": "f/a", "found": {"vanishing_gradients": 5}, "total_steps": 100},  # miss + FP
        {"name": "h/a", "found": {}, "total_steps": 100},
        {"name": "h/a", "found": {"underfitting": 50}, "total_steps": 100},  # false alarm
    ]
    s = score(scenarios, results)
    lr = s["per_code"]["lr_too_high"]
    assert (lr["recall"], lr["precision"], lr["median_delay"]) == (0.5, 1.0, 0.1)
    assert s["per_code"]["vanishing_gradients"]["false_positives"] == 1
    assert "dead_relu" not in s["per_code"]  # allowed: ignored
    assert s["false_alarm_rate"] == 0.5 and s["healthy_runs"] == 2
    assert s["precision"] == pytest.approx(1 / 3)  # 1 TP; 2 FPs (vanishing, underfitting)
