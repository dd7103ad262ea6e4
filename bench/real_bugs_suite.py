"""Held-out benchmark: real user mistakes, each as a buggy program and its fixed twin.

Runs every pair of ``bench/real_bugs/`` (plain PyTorch loops that use only the documented
doctor API: ``Doctor(model, optimizer)``, ``check_data``, ``step(loss, inputs=, targets=)``
after ``optimizer.step()``, ``epoch_end(logs)``) over the given seeds, buggy and fixed, with the
re-implemented AutoTrainer and DeepDiagnosis rules watching the same runs, and prints:

- the manifest check: per pair and seed, the test quality (accuracy, R² for regression, on true
  labels) of the buggy and the fixed run; a pair manifests on a seed when the fixed run beats
  the buggy one by at least ``MANIFEST_GAP``;
- per expected code and overall: recall on the buggy runs (one of the pair's expected codes is
  reported at warning/error level; and, where the mistake blocks training, it is the first
  warning/error in the doctor's ranking) and the false alarms on the fixed runs (a fixed run
  with any warning or error is a false alarm; per code, the fixed runs where that code fired).

Baselines are scored the same way through their ``MAPS_TO`` tables: a problem they report
counts as the trainwise codes it maps to; "first" is the problem reported at the earliest epoch.

Usage::

    python bench/real_bugs_suite.py [--set first|heldout|batch3|batch4] [--jobs 2] [--seeds 0,1]
        [--only GLOB] [--json out.json]

``--set heldout`` scores the second, held-out batch (``bench/real_bugs_heldout/``) instead;
``--set batch3`` the third (``bench/real_bugs_batch3/``); ``--set batch4`` the fourth
(``bench/real_bugs_batch4/``).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
import time
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_bugs  # noqa: E402
import real_bugs_batch3  # noqa: E402
import real_bugs_batch4  # noqa: E402
import real_bugs_heldout  # noqa: E402
from baselines import autotrainer, deepdiagnosis  # noqa: E402

#: the pair batches: the first (tuned on since its first score) and the held-out second one
SETS = {
    "first": real_bugs,
    "heldout": real_bugs_heldout,
    "batch3": real_bugs_batch3,
    "batch4": real_bugs_batch4,
}

SCORED = ("warning", "error")
TOOLS = {"autotrainer": autotrainer.MAPS_TO, "deepdiagnosis": deepdiagnosis.MAPS_TO}
#: the fixed program must beat the buggy one by this much test accuracy (R²) on a seed
MANIFEST_GAP = 0.10


def run_one(name: str, seed: int, variant: str, pairs: str = "first") -> dict:
    """One program run: the doctor's scored findings in its ranking order, the baselines'
    codes in the order they reported them, and the test quality."""
    import torch

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    try:
        run = getattr(SETS[pairs].load_pair(name), variant)(seed)
    except Exception:  # a crash is a result: recorded, nothing found
        return {
            "name": name,
            "seed": seed,
            "variant": variant,
            "error": traceback.format_exc(limit=6),
        }
    scored = [f for f in run.findings if f.severity in SCORED]
    base = {}
    for tool, dets in run.baselines.items():
        ordered = sorted(dets.items(), key=lambda kv: kv[1])
        base[tool] = [
            [code, epoch] for problem, epoch in ordered for code in sorted(TOOLS[tool][problem])
        ]
    return {
        "name": name,
        "seed": seed,
        "variant": variant,
        "found": [f.code for f in scored],
        "info": [f.code for f in run.findings if f.severity not in SCORED],
        "messages": [str(f) for f in scored][:6],
        "baselines": base,
        "quality": run.quality,
        "final_loss": run.final_loss,
        "seconds": time.perf_counter() - t0,
    }


def tool_view(r: dict, tool: str | None) -> tuple[list[str], set[str]]:
    """(codes reported, codes reported first) of one run for a tool (None: the doctor)."""
    if tool is None:
        found = list(r.get("found", []))
        return found, set(found[:1])
    dets = r.get("baselines", {}).get(tool, [])
    if not dets:
        return [], set()
    first_epoch = min(e for _, e in dets)
    return [c for c, _ in dets], {c for c, e in dets if e == first_epoch}


def hit(meta: dict, r: dict, tool: str | None) -> bool:
    """A buggy run is named correctly: an expected code reported (and ranked first when the
    mistake blocks training)."""
    found, first = tool_view(r, tool)
    expected = set(meta["expected"])
    if not expected & set(found):
        return False
    return bool(expected & first) if meta["blocks"] else True


def score(metas: dict[str, dict], results: list[dict], tool: str | None = None) -> dict:
    """Per primary code: buggy runs, hits, recall; fixed runs; per code: the fixed runs where it
    fired. Overall: recall and the share of fixed runs with any warning/error."""
    per: dict[str, dict] = {}
    fired_on_fixed: dict[str, int] = {}
    buggy_runs = hits = fixed_runs = alarms = 0
    for r in results:  # a crashed run is a miss (buggy) or an alarm (fixed)
        meta = metas[r["name"]]
        code = meta["expected"][0]
        slot = per.setdefault(code, {"runs": 0, "hits": 0})
        if r["variant"] == "buggy":
            buggy_runs += 1
            slot["runs"] += 1
            ok = "error" not in r and hit(meta, r, tool)
            slot["hits"] += ok
            hits += ok
        else:
            fixed_runs += 1
            found, _ = tool_view(r, tool)
            alarms += bool(found) or "error" in r
            for c in set(found):
                fired_on_fixed[c] = fired_on_fixed.get(c, 0) + 1
    return {
        "per_code": {
            c: {"runs": s["runs"], "hits": s["hits"], "recall": s["hits"] / s["runs"]}
            for c, s in sorted(per.items())
        },
        "fired_on_fixed": dict(sorted(fired_on_fixed.items())),
        "recall": hits / buggy_runs if buggy_runs else None,
        "hits": hits,
        "buggy_runs": buggy_runs,
        "false_alarm_rate": alarms / fixed_runs if fixed_runs else None,
        "false_alarms": alarms,
        "fixed_runs": fixed_runs,
    }


def manifest(results: list[dict]) -> dict[str, dict[int, tuple]]:
    """Per pair and seed: (buggy quality, fixed quality, manifests)."""
    q: dict[tuple, float] = {}
    for r in results:
        q[(r["name"], r["seed"], r["variant"])] = r.get("quality", float("nan"))
    out: dict[str, dict[int, tuple]] = {}
    for name, seed, variant in q:
        if variant != "buggy":
            continue
        b, f = q[(name, seed, "buggy")], q.get((name, seed, "fixed"), float("nan"))
        out.setdefault(name, {})[seed] = (b, f, bool(f - b >= MANIFEST_GAP))
    return out


def _f(v, pct=False):
    if v is None:
        return "n/a"
    return f"{100 * v:.0f}%" if pct else f"{v:.2f}"


def table(metas: dict, scores: dict[str, dict]) -> str:
    tools = list(scores)
    codes = sorted({m["expected"][0] for m in metas.values()})
    head = "| expected code | pairs | buggy runs | " + " | ".join(f"{t} recall" for t in tools)
    head += " | doctor: fixed runs where it fired |"
    lines = [head, "|" + "---|" * (len(tools) + 4)]
    doc = scores["doctor"]
    for c in codes:
        n_pairs = sum(1 for m in metas.values() if m["expected"][0] == c)
        runs = doc["per_code"].get(c, {}).get("runs", 0)
        cells = [_f(scores[t]["per_code"].get(c, {}).get("recall")) for t in tools]
        proposed = any(c in getattr(b, "PROPOSED_CODES", {}) for b in SETS.values())
        new = " (proposed)" if proposed else ""
        fired = doc["fired_on_fixed"].get(c, 0)
        lines.append(f"| `{c}`{new} | {n_pairs} | {runs} | " + " | ".join(cells) + f" | {fired} |")
    cells = [
        f"{_f(scores[t]['recall'])} ({scores[t]['hits']}/{scores[t]['buggy_runs']})" for t in tools
    ]
    lines.append(f"| **all** | {len(metas)} | {doc['buggy_runs']} | " + " | ".join(cells) + " | |")
    lines.append("")
    for t in tools:
        s = scores[t]
        lines.append(
            f"- {t}: false alarms on {_f(s['false_alarm_rate'], pct=True)} of the fixed runs "
            f"({s['false_alarms']} of {s['fixed_runs']})"
        )
    if doc["fired_on_fixed"]:
        lines.append(
            "- doctor, codes fired on fixed runs: "
            + ", ".join(f"`{c}` {n}" for c, n in doc["fired_on_fixed"].items())
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="first", choices=sorted(SETS), help="which pair batch")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seeds", default="0,1", help="comma-separated seeds (default 0,1)")
    ap.add_argument("--only", default=None, help="glob on pair names")
    ap.add_argument("--json", default=None, help="write all results and scores here")
    args = ap.parse_args(argv)

    pairs = SETS[args.set]
    names = [n for n in pairs.pair_names() if not args.only or fnmatch.fnmatch(n, args.only)]
    metas = {}
    for n in names:
        m = pairs.load_pair(n)
        metas[n] = {"expected": list(m.EXPECTED), "blocks": bool(m.BLOCKS), "source": m.SOURCE}
    seeds = [int(s) for s in args.seeds.split(",")]
    jobs = [(n, s, v, args.set) for n in names for s in seeds for v in ("buggy", "fixed")]
    print(
        f"{len(jobs)} runs: {len(names)} pairs x {len(seeds)} seeds x buggy/fixed; "
        f"{args.jobs} workers",
        flush=True,
    )
    t0 = time.perf_counter()
    results = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_one, *job) for job in jobs]
        for i, fut in enumerate(futures, 1):
            r = fut.result()
            results.append(r)
            meta = metas[r["name"]]
            if "error" in r:
                mark = "CRASH"
            elif r["variant"] == "buggy":
                mark = ("ok" if hit(meta, r, None) else "MISSED") + f" {r['found']}"
            else:
                mark = ("FALSE ALARM " if r["found"] else "quiet ") + f"{r['found']}"
            q = r.get("quality", float("nan"))
            print(
                f"[{i}/{len(jobs)}] {r['name']} seed {r['seed']} {r['variant']}: "
                f"quality {q:.3f}; {mark}",
                flush=True,
            )
            if "error" in r:
                print(r["error"], flush=True)
    man = manifest(results)
    print(
        "\nManifest check (test quality buggy -> fixed per seed; manifests when fixed is "
        f">= {MANIFEST_GAP} better):"
    )
    for name in names:
        cells = [
            f"seed {s}: {b:.2f} -> {f:.2f} {'yes' if ok else 'NO'}"
            for s, (b, f, ok) in sorted(man.get(name, {}).items())
        ]
        print(f"- {name}: " + "; ".join(cells))
    scores = {"doctor": score(metas, results)}
    for tool in TOOLS:
        scores[tool] = score(metas, results, tool)
    print()
    print(table(metas, scores))
    print(f"\n{len(jobs)} runs in {time.perf_counter() - t0:.0f} s")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "metas": metas,
                    "results": results,
                    "scores": scores,
                    "manifest": {k: {str(s): v for s, v in d.items()} for k, d in man.items()},
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
