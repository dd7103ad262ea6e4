import json

import pytest

from trainwise.experiments.comparison.results import build_results


def _rec(variant, seed, acc, status="done", fold=None, wall=2.0):
    rec = {
        "variant": variant,
        "seed": seed,
        "fold": fold,
        "dir": f"trials/{variant}/seed-{seed}",
        "status": status,
        "wall_seconds": wall,
    }
    if status == "done":
        rec["summary"] = {"test": {"test_accuracy": acc}, "best": {"val_loss": 1 - acc}}
    else:
        rec["error"] = "ValueError: boom"
    return rec


VARIANTS = [{"name": "base", "overrides": {}}, {"name": "+x", "overrides": {"model.dropout": 0.2}}]


def test_compare_json_has_the_contract_keys_and_values():
    records = [_rec("base", s, a) for s, a in ((0, 0.90), (1, 0.91), (2, 0.92))]
    records += [_rec("+x", s, a, wall=4.0) for s, a in ((2, 0.95), (0, 0.92), (1, 0.93))]
    r = build_results(
        {"seed": 0}, VARIANTS, "base", ["test_accuracy", "val_loss"], [0, 1, 2], None, records
    )
    assert set(r) == {"version", "config", "baseline", "metrics", "seeds", "folds", "variants"}
    assert (r["version"], r["baseline"], r["seeds"], r["folds"]) == (1, "base", [0, 1, 2], None)
    base, x = r["variants"]
    assert set(x) == {"name", "overrides", "trials", "stats", "diff", "wall_seconds"}
    assert x["overrides"] == {"model.dropout": 0.2}
    assert [t["seed"] for t in x["trials"]] == [0, 1, 2]  # seed order, not completion order
    assert x["trials"][0] == {
        "seed": 0,
        "fold": None,
        "dir": "trials/+x/seed-0",
        "status": "done",
        "wall_seconds": 4.0,
        "metrics": {"test_accuracy": 0.92, "val_loss": pytest.approx(0.08)},
    }
    assert base["stats"]["test_accuracy"]["mean"] == pytest.approx(0.91)
    assert base["stats"]["test_accuracy"]["std"] == pytest.approx(0.01)
    assert base["diff"] == {}
    d = x["diff"]["test_accuracy"]
    assert d["mean"] == pytest.approx(0.07 / 3) and d["n"] == 3  # pairs: .02, .02, .03
    assert set(d) == {"mean", "std", "n", "ci95", "p"}
    assert x["wall_seconds"] == {"mean": 4.0, "total": 12.0}
    json.dumps(r, allow_nan=False)  # valid JSON: no NaN anywhere


def test_failed_and_missing_trials_are_recorded_and_drop_out_of_the_stats():
    records = [_rec("base", 0, 0.9), _rec("base", 1, 0.8)]
    records += [_rec("+x", 0, 0.0, status="failed", wall=1.5), _rec("+x", 1, 0.85)]
    r = build_results(
        {}, VARIANTS, "base", ["test_accuracy"], [0, 1], None, records[:3] + records[3:]
    )
    x = r["variants"][1]
    assert [t["status"] for t in x["trials"]] == ["failed", "done"]
    assert x["trials"][0]["error"] == "ValueError: boom"
    assert x["trials"][0]["metrics"] == {"test_accuracy": None}
    assert x["stats"]["test_accuracy"] == {"mean": 0.85, "std": None, "n": 1, "ci95": None}
    assert x["diff"]["test_accuracy"]["n"] == 1 and x["diff"]["test_accuracy"]["p"] is None
    assert x["wall_seconds"] == {"mean": 2.0, "total": 3.5}
    pending = build_results({}, VARIANTS, "base", ["test_accuracy"], [0, 1], None, records[:1])
    assert [t["status"] for t in pending["variants"][0]["trials"]] == ["done", "pending"]
    json.dumps(pending, allow_nan=False)


def test_fold_trials_pair_by_fold():
    records = [
        _rec(v, 5, a, fold=k)
        for v, k, a in (("base", 1, 0.8), ("base", 2, 0.9), ("+x", 1, 0.85), ("+x", 2, 0.97))
    ]
    r = build_results({}, VARIANTS, "base", ["test_accuracy"], [5], 2, records)
    assert (r["seeds"], r["folds"]) == ([5], 2)
    x = r["variants"][1]
    assert [(t["seed"], t["fold"]) for t in x["trials"]] == [(5, 1), (5, 2)]
    assert x["diff"]["test_accuracy"]["mean"] == pytest.approx(0.06)
