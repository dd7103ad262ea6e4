"""compare.json: the trials' records and statistics in the format the HTML report reads.

The format (version 1) is documented in docs/experiments.md ("Comparing variants"): per
variant its overrides, its trials (seed, fold, dir relative to the folder, status,
wall_seconds, metrics), ``stats`` (mean, sample std, n, 95% t-interval per metric), ``diff``
(variant minus baseline paired by seed or fold, with a paired t-test p; ``{}`` for the
baseline) and ``wall_seconds`` (mean per finished trial, total).
"""

from __future__ import annotations

from typing import Any

from trainwise.experiments.comparison.trial import trial_metrics
from trainwise.experiments.stats import paired_diff, summarize

COMPARE_VERSION = 1


def build_results(
    config: dict[str, Any],
    variants: list[dict[str, Any]],
    baseline: str,
    metrics: list[str],
    seeds: list[int] | None,
    folds: int | None,
    records: list[dict[str, Any]],
) -> dict[str, Any]:
    """The compare.json content.

    Args:
        config: the resolved base config (``model_dump(mode="json")``).
        variants: ``[{"name", "overrides"}]`` in table order.
        baseline: the baseline variant's name. metrics: the table's metrics.
        seeds: the seeds of seed trials (the config seed for fold trials).
        folds: K for fold trials, else None.
        records: one per trial (see :func:`~trainwise.experiments.comparison.trial.run_trial`),
            any order; trials without one are ``"pending"`` (not run: interrupted).

    Example::

        r = build_results(cfg.model_dump(mode="json"), [{"name": "a", "overrides": {}}], "a",
                          ["test_accuracy"], [0], None, records)
        r["variants"][0]["stats"]["test_accuracy"]["mean"]
    """
    by_trial = {(r["variant"], r["seed"], r["fold"]): r for r in records}
    keys = (
        [(s, None) for s in seeds or []]
        if not folds
        else [(seeds[0], k) for k in range(1, folds + 1)]
    )
    out_variants = []
    paired: dict[str, dict[str, dict[Any, float | None]]] = {}
    for v in variants:
        trials = []
        for seed, fold in keys:
            rec = by_trial.get((v["name"], seed, fold))
            trial = {
                "seed": seed,
                "fold": fold,
                "dir": rec["dir"] if rec else None,
                "status": rec["status"] if rec else "pending",
                "wall_seconds": rec.get("wall_seconds") if rec else None,
                "metrics": trial_metrics(
                    rec.get("summary") if rec and rec["status"] == "done" else None, metrics
                ),
            }
            if rec and rec.get("error"):
                trial["error"] = rec["error"]
            trials.append(trial)
        pair_key = "fold" if folds else "seed"
        paired[v["name"]] = {m: {t[pair_key]: t["metrics"][m] for t in trials} for m in metrics}
        done_walls = [t["wall_seconds"] for t in trials if t["status"] == "done"]
        walls = [t["wall_seconds"] for t in trials if t["wall_seconds"] is not None]
        out_variants.append(
            {
                "name": v["name"],
                "overrides": v["overrides"],
                "trials": trials,
                "stats": {m: summarize(t["metrics"][m] for t in trials) for m in metrics},
                "diff": {},
                "wall_seconds": {
                    "mean": sum(done_walls) / len(done_walls) if done_walls else None,
                    "total": sum(walls) if walls else None,
                },
            }
        )
    base = paired.get(baseline)
    for v in out_variants:
        if v["name"] != baseline and base is not None:
            v["diff"] = {m: paired_diff(paired[v["name"]][m], base[m]) for m in metrics}
    return {
        "version": COMPARE_VERSION,
        "config": config,
        "baseline": baseline,
        "metrics": list(metrics),
        "seeds": list(seeds) if seeds is not None else None,
        "folds": folds,
        "variants": out_variants,
    }
