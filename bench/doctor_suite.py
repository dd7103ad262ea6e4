"""The seeded-fault suite: how often the doctor is right, measured.

Runs every scenario of ``doctor_scenarios.py`` (faulty ones: what must be found; healthy ones,
over 3 seeds: where nothing at warning level or above may be found), with the doctor and the
re-implemented AutoTrainer and DeepDiagnosis rules watching the same runs, and prints per
finding code: recall, precision and the detection delay (steps from the fault's onset to the
first report, as a share of the planned run); then the false-alarm rate on healthy runs.

Scoring: a reported code is a true positive in a run that expects it, a false positive in a run
that neither expects nor allows it (every warning in a healthy run is one), and ignored where
the scenario allows it as a fair consequence of its fault. Info-level findings are advice and
are not scored. Delay is counted from the fault's onset: step 0 for faults present from the
start, the scenario's step for faults injected mid-run, the end of the epoch with the lowest
validation loss for overfitting and overconfidence (the point after which the net stops
generalizing better), and the end of training for ``test_shift``.

Usage::

    python bench/doctor_suite.py [--quick] [--jobs 2] [--only PATTERN] [--json out.json]
                                 [--faulty-seeds 1,2] [--plain-loop]

``--plain-loop`` drives every scenario from a hand-written loop through the documented doctor
API only (``bench/plain_loop.py``) instead of ``tw.fit``.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import statistics
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import autotrainer, deepdiagnosis  # noqa: E402
from doctor_scenarios import Scenario, all_scenarios  # noqa: E402

SCORED = ("warning", "error")
#: codes judged after training, on test data: their fault can only show once training ends, so
#: their onset is the end of the planned run and a report right after it has delay 0
POST_TRAINING = ("test_shift",)
#: codes whose fault begins when the validation loss turns (a net fits before it overfits): their
#: onset is the end of the epoch with the lowest validation loss, read from the run itself
TURNING = ("overfitting", "overconfident_predictions")
TOOLS = {"autotrainer": autotrainer.MAPS_TO, "deepdiagnosis": deepdiagnosis.MAPS_TO}


def run_one(scn: Scenario, seed: int, plain: bool = False) -> dict:
    import torch

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    try:
        if plain:
            from plain_loop import run_plain

            run = run_plain(scn, seed)
        elif scn.loop is not None:
            from doctor_loops import LOOPS

            kwargs = dict(scn.loop_args)
            if scn.onset:
                kwargs["onset"] = scn.onset
            run = LOOPS[scn.loop](seed, **kwargs)
        else:
            from doctor_config_run import run_config_scenario

            run = run_config_scenario(scn.config, seed)
    except Exception:  # a crash is a result too: recorded, scored as nothing found
        return {"name": scn.name, "seed": seed, "error": traceback.format_exc(limit=5)}
    found = {}
    for f in run.findings:
        if f.severity in SCORED:
            step = run.detected.get(f.key, f.step or 0)
            found.setdefault(f.code, step)
    base = {}
    for tool, dets in run.baselines.items():
        codes: dict[str, int] = {}
        for problem, epoch in dets.items():
            for code in TOOLS[tool].get(problem, ()):
                codes.setdefault(code, (epoch + 1) * run.steps_per_epoch)
        base[tool] = codes
    return {
        "name": scn.name,
        "seed": seed,
        "found": found,
        "messages": [str(f) for f in run.findings if f.severity in SCORED][:8],
        "total_steps": run.total_steps,
        "turning_step": _turning_step(run),
        "baselines": base,
        "seconds": time.perf_counter() - t0,
    }


def _turning_step(run) -> int | None:
    """The step at the end of the epoch with the lowest validation loss (None without one)."""
    finite = [(v, i) for i, v in enumerate(run.val_loss) if math.isfinite(v)]
    if not finite:
        return None
    return (min(finite)[1] + 1) * run.steps_per_epoch


def onset_of(code: str, scn: Scenario, r: dict) -> int:
    """Where a code's fault begins in run ``r``: the end of training for post-training codes,
    the validation loss's turning point for overfitting-type codes, else the scenario's."""
    if code in POST_TRAINING:
        return r["total_steps"]
    if code in TURNING and r.get("turning_step") is not None:
        return r["turning_step"]
    return scn.onset


def score(scenarios: dict[str, Scenario], results: list[dict], tool: str | None = None) -> dict:
    """Per-code recall/precision/delays and the healthy false-alarm rate for one tool
    (``None`` is the doctor)."""
    per: dict[str, dict] = {}
    healthy_runs, healthy_alarms = 0, 0

    def slot(code):
        return per.setdefault(code, {"runs": 0, "hits": 0, "tp": 0, "fp": 0, "delays": []})

    for r in results:
        scn = scenarios[r["name"]]
        found = r.get("found", {}) if tool is None else r.get("baselines", {}).get(tool, {})
        if scn.healthy:
            healthy_runs += 1
            healthy_alarms += bool(found)
        for code in scn.expect:
            s = slot(code)
            s["runs"] += 1
            if code in found:
                s["hits"] += 1
                onset = onset_of(code, scn, r)
                s["delays"].append(max(0, found[code] - onset) / max(1, r["total_steps"]))
        for code in found:
            if code in scn.expect:
                slot(code)["tp"] += 1
            elif code not in scn.allow:
                slot(code)["fp"] += 1
    hits = sum(s["hits"] for s in per.values())
    runs = sum(s["runs"] for s in per.values())
    tp = sum(s["tp"] for s in per.values())
    fp = sum(s["fp"] for s in per.values())
    delays = [d for s in per.values() for d in s["delays"]]
    return {
        "per_code": {
            c: {
                "recall": s["hits"] / s["runs"] if s["runs"] else None,
                "precision": s["tp"] / (s["tp"] + s["fp"]) if (s["tp"] + s["fp"]) else None,
                "runs": s["runs"],
                "false_positives": s["fp"],
                "median_delay": statistics.median(s["delays"]) if s["delays"] else None,
            }
            for c, s in sorted(per.items())
        },
        "recall": hits / runs if runs else None,
        "precision": tp / (tp + fp) if tp + fp else None,
        "false_alarm_rate": healthy_alarms / healthy_runs if healthy_runs else None,
        "healthy_runs": healthy_runs,
        "median_delay": statistics.median(delays) if delays else None,
    }


def _f(v, pct=False):
    if v is None:
        return "n/a"
    return f"{100 * v:.0f}%" if pct else f"{v:.2f}"


def table(scores: dict[str, dict], codes: list[str]) -> str:
    tools = list(scores)
    head = "| code | " + " | ".join(f"{t} recall | {t} precision" for t in tools)
    head += " | doctor median delay |"
    lines = [head, "|" + "---|" * (2 * len(tools) + 2)]
    for c in codes:
        cells = []
        for t in tools:
            pc = scores[t]["per_code"].get(c, {})
            cells += [_f(pc.get("recall")), _f(pc.get("precision"))]
        d = scores["doctor"]["per_code"].get(c, {}).get("median_delay")
        lines.append(f"| `{c}` | " + " | ".join(cells) + f" | {_f(d, pct=True)} |")
    cells = [c for t in tools for c in (_f(scores[t]["recall"]), _f(scores[t]["precision"]))]
    delay = _f(scores["doctor"]["median_delay"], pct=True)
    lines.append("| **all** | " + " | ".join(cells) + f" | {delay} |")
    lines.append("")
    for t in tools:
        s = scores[t]
        lines.append(
            f"- {t}: false alarms on {_f(s['false_alarm_rate'], pct=True)} of "
            f"{s['healthy_runs']} healthy runs; overall precision {_f(s['precision'])}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the fast subset, one seed")
    ap.add_argument("--only", default=None, help="glob on scenario names")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", default=None, help="write all results here")
    ap.add_argument(
        "--faulty-seeds",
        default=None,
        help="comma-separated seeds for the faulty scenarios instead of their own (0): a "
        "held-out check on runs never looked at while calibrating, e.g. 1,2",
    )
    ap.add_argument(
        "--plain-loop",
        action="store_true",
        help="run every scenario from a hand-written loop with the documented API only",
    )
    args = ap.parse_args(argv)

    scenarios = all_scenarios()
    if args.quick:
        scenarios = [s for s in scenarios if s.fast]
    if args.only:
        scenarios = [s for s in scenarios if fnmatch.fnmatch(s.name, args.only)]
    by_name = {s.name: s for s in scenarios}

    def seeds_of(s: Scenario) -> tuple[int, ...]:
        if args.faulty_seeds and not s.healthy:
            return tuple(int(v) for v in args.faulty_seeds.split(","))
        return s.seeds[:1] if args.quick else s.seeds

    jobs = [(s, seed) for s in scenarios for seed in seeds_of(s)]
    n_faulty = sum(1 for s in scenarios if not s.healthy)
    print(
        f"{len(jobs)} runs: {n_faulty} faulty scenarios, "
        f"{len(scenarios) - n_faulty} healthy configurations; {args.jobs} workers"
        + ("; plain-loop mode" if args.plain_loop else ""),
        flush=True,
    )
    t0 = time.perf_counter()
    results = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_one, s, seed, args.plain_loop) for s, seed in jobs]
        for i, fut in enumerate(futures, 1):
            r = fut.result()
            results.append(r)
            scn = by_name[r["name"]]
            if "error" in r:
                mark = "CRASH"
            else:
                got = set(r["found"])
                missed = scn.expect - got
                extra = got - scn.expect - scn.allow
                mark = (
                    "ok"
                    if not missed and not extra
                    else (f"missed {sorted(missed)} " if missed else "")
                    + (f"false {sorted(extra)}" if extra else "")
                )
            print(f"[{i}/{len(jobs)}] {r['name']} seed {r['seed']}: {mark}", flush=True)
            if "error" in r:
                print(r["error"], flush=True)
    codes = sorted({c for s in scenarios for c in s.expect})
    scores = {"doctor": score(by_name, results)}
    for tool in TOOLS:
        scores[tool] = score(by_name, results, tool)
    print()
    print(table(scores, codes))
    print(f"\n{len(jobs)} runs in {time.perf_counter() - t0:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "scores": scores}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
