"""The real-bug pairs (``bench/real_bugs/``) and their scorer (``bench/real_bugs_suite.py``):
every pair is complete, a few pairs run end to end, and the scoring arithmetic is right. The
doctor's recall is measured by the suite, not asserted here."""

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import real_bugs_heldout  # noqa: E402
from real_bugs import PROPOSED_CODES, common, load_pair, pair_names  # noqa: E402
from real_bugs_suite import hit, manifest, run_one, score  # noqa: E402
from trainwise.doctor.finding import CODES  # noqa: E402

PAIRS = pair_names()
HELDOUT = real_bugs_heldout.pair_names()


def test_there_are_at_least_25_pairs():
    assert len(PAIRS) >= 25


@pytest.mark.parametrize("name", PAIRS)
def test_pair_defines_buggy_fixed_source_and_expected(name):
    m = load_pair(name)
    assert m.SOURCE.startswith("https://") and m.SOURCE in (m.__doc__ or "")
    assert isinstance(m.EXPECTED, tuple) and m.EXPECTED
    for code in m.EXPECTED:
        assert code in CODES or code in PROPOSED_CODES, code
    assert isinstance(m.BLOCKS, bool)
    assert callable(m.buggy) and callable(m.fixed)


def test_there_are_at_least_12_heldout_pairs():
    assert len(HELDOUT) >= 12


@pytest.mark.parametrize("name", HELDOUT)
def test_heldout_pair_defines_buggy_fixed_source_and_expected(name):
    m = real_bugs_heldout.load_pair(name)
    assert m.SOURCE.startswith(("https://", "http://"))
    assert m.SOURCE in "".join((m.__doc__ or "").split())  # a long URL may wrap in the docstring
    assert isinstance(m.EXPECTED, tuple) and m.EXPECTED
    proposed = PROPOSED_CODES.keys() | real_bugs_heldout.PROPOSED_CODES.keys()
    for code in m.EXPECTED:
        assert code in CODES or code in proposed, code
    assert isinstance(m.BLOCKS, bool)
    assert callable(m.buggy) and callable(m.fixed)


def test_a_heldout_pair_runs_buggy_and_fixed(monkeypatch):
    monkeypatch.setattr(common, "MAX_EPOCHS", 2)
    for variant in ("buggy", "fixed"):
        r = run_one("zero_grad_between_backward_and_step", 0, variant, "heldout")
        assert "error" not in r, r.get("error")
        assert 0.0 <= r["quality"] <= 1.0
        assert set(r["baselines"]) == {"autotrainer", "deepdiagnosis"}


@pytest.mark.parametrize("name", ["optimizer_step_missing", "labels_shuffled_separately"])
def test_a_pair_runs_buggy_and_fixed(name, monkeypatch):
    monkeypatch.setattr(common, "MAX_EPOCHS", 2)
    for variant in ("buggy", "fixed"):
        r = run_one(name, 0, variant)
        assert "error" not in r, r.get("error")
        assert 0.0 <= r["quality"] <= 1.0
        assert all(isinstance(c, str) for c in r["found"])
        assert set(r["baselines"]) == {"autotrainer", "deepdiagnosis"}


def _r(name, variant, found=(), base=None, quality=0.5, seed=0):
    return {
        "name": name,
        "seed": seed,
        "variant": variant,
        "found": list(found),
        "baselines": base or {},
        "quality": quality,
    }


def test_scoring_recall_needs_first_rank_only_when_the_mistake_blocks_training():
    metas = {
        "a": {"expected": ["zero_grad_missing", "lr_too_high"], "blocks": True},
        "b": {"expected": ["distribution_shift"], "blocks": False},
    }
    results = [
        _r("a", "buggy", ["lr_too_high", "dead_relu"]),  # hit: an expected code, first
        _r("a", "buggy", ["dead_relu", "zero_grad_missing"]),  # miss: blocks, not first
        _r("a", "fixed", []),
        _r("a", "fixed", ["underfitting", "underfitting"]),  # one false alarm
        _r("b", "buggy", ["overfitting", "distribution_shift"]),  # hit: need not be first
        _r("b", "buggy", []),  # miss
        _r("b", "fixed", ["overfitting"]),  # false alarm
        {"name": "b", "seed": 1, "variant": "fixed", "error": "boom"},  # a crash: an alarm
    ]
    s = score(metas, results)
    assert s["per_code"]["zero_grad_missing"] == {"runs": 2, "hits": 1, "recall": 0.5}
    assert s["per_code"]["distribution_shift"]["recall"] == 0.5
    assert (s["hits"], s["buggy_runs"], s["recall"]) == (2, 4, 0.5)
    assert (s["false_alarms"], s["fixed_runs"], s["false_alarm_rate"]) == (3, 4, 0.75)
    assert s["fired_on_fixed"] == {"overfitting": 1, "underfitting": 1}


def test_scoring_a_baseline_ranks_by_the_epoch_it_first_reported():
    metas = {"a": {"expected": ["nan_loss"], "blocks": True}}
    at = "autotrainer"
    results = [
        _r("a", "buggy", base={at: [["nan_loss", 2], ["exploding_gradients", 2]]}),  # tie: first
        _r("a", "buggy", base={at: [["lr_too_high", 1], ["nan_loss", 3]]}),  # later: miss
        _r("a", "fixed", base={at: [["underfitting", 4]]}),
        _r("a", "fixed", base={}),
    ]
    s = score(metas, results, at)
    assert (s["recall"], s["false_alarm_rate"]) == (0.5, 0.5)
    assert hit(metas["a"], results[0], at) and not hit(metas["a"], results[1], at)


def test_manifest_needs_the_fixed_run_clearly_better():
    results = [
        _r("a", "buggy", quality=0.10),
        _r("a", "fixed", quality=0.95),
        _r("a", "buggy", quality=0.90, seed=1),
        _r("a", "fixed", quality=0.95, seed=1),
    ]
    m = manifest(results)
    assert m["a"][0][2] is True and m["a"][1][2] is False
