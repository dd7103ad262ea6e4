"""The Ray backend's per-trial overhead against the process pool, on one tiny comparison.

Usage::

    python bench/ray_overhead.py [--trials 4] [--workers 2] [--epochs 2] [--json out.json]

Runs the same comparison (2 variants of a tiny MLP on 200 ``circles`` samples, ``trials / 2``
seeds each) side by side in one process:

* ``processes``: ``--backend processes`` (spawned worker processes, started per comparison);
* ``ray (started on demand)``: ``--backend ray`` with no Ray running: ``ray.init`` and
  ``ray.shutdown`` are part of the comparison;
* ``ray (running, cold workers)``: Ray already started (as on a cluster): the first
  comparison on it, its worker processes still importing torch;
* ``ray (running, warm workers)``: the next comparison on the same Ray, workers reused.

Overhead per trial = (comparison wall time x workers - the trials' own run time) / trials:
the worker-seconds a trial costs beyond its training run (process start, imports,
scheduling, moving the result). The ratio is each row's overhead over the process pool's.
The numbers are the same in every row (checked): only the time differs.

``ray_overhead()`` returns the rows; bench/distributed.py prints them too.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

TINY = {
    "seed": 0,
    "data": {"name": "circles", "n_samples": 200, "validation_split": 0.25, "split": "stratified"},
    "model": {"name": "mlp", "hidden": [8]},
    "optimizer": {"name": "adam", "lr": 0.02},
    "training": {"epochs": 2, "batch_size": 32},
    "doctor": False,
}


def _run(out: Path, backend: str, trials: int, workers: int, epochs: int) -> dict[str, Any]:
    from trainwise.experiments.comparison.compare import compare

    cfg = {**TINY, "training": {**TINY["training"], "epochs": epochs}}
    t0 = time.perf_counter()
    r = compare(
        cfg,
        vary=["model.norm=none,batch"],
        seeds=max(1, trials // 2),
        workers=workers,
        out_dir=out,
        backend=backend,
        echo=lambda *_: None,
    )
    wall = time.perf_counter() - t0
    runs = [t for v in r.results["variants"] for t in v["trials"]]
    assert r.failed == 0 and all(t["status"] == "done" for t in runs), "a trial failed"
    run_s = sum(t["wall_seconds"] for t in runs)
    numbers = [[t["metrics"] for t in v["trials"]] for v in r.results["variants"]]
    return {
        "trials": len(runs),
        "wall_s": wall,
        "run_s": run_s,
        "overhead_per_trial_s": (wall * workers - run_s) / len(runs),
        "numbers": numbers,
    }


def ray_overhead(
    trials: int = 4, workers: int = 2, epochs: int = 2, root: str | Path | None = None
) -> list[dict[str, Any]]:
    """The four rows described in the module docstring, each ``{"backend", "trials",
    "wall_s", "run_s", "overhead_per_trial_s", "ratio"}`` (ratio: overhead over the process
    pool's). Needs Ray (``pip install trainwise[ray]``).

    Example::

        for row in ray_overhead(trials=4, workers=2):
            print(row["backend"], round(row["overhead_per_trial_s"], 2), row["ratio"])
    """
    import ray

    if ray.is_initialized():
        raise RuntimeError("ray_overhead() starts and stops Ray itself; call ray.shutdown() first")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(root) if root is not None else Path(tmp)
        rows = [("processes", _run(tmp / "pool", "processes", trials, workers, epochs))]
        rows.append(("ray (started on demand)", _run(tmp / "r0", "ray", trials, workers, epochs)))
        t0 = time.perf_counter()
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        init_s = time.perf_counter() - t0
        try:
            cold = _run(tmp / "r1", "ray", trials, workers, epochs)
            rows.append(("ray (running, cold workers)", cold))
            rows.append(
                ("ray (running, warm workers)", _run(tmp / "r2", "ray", trials, workers, epochs))
            )
        finally:
            ray.shutdown()
    base = rows[0][1]
    out = []
    for name, row in rows:
        assert row["numbers"] == base["numbers"], f"{name}: other numbers than the process pool"
        row = {k: v for k, v in row.items() if k != "numbers"}
        row["ratio"] = row["overhead_per_trial_s"] / base["overhead_per_trial_s"]
        out.append({"backend": name, **row})
    out[2]["ray_init_s"] = init_s
    return out


def main(argv=None) -> list[dict[str, Any]]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    rows = ray_overhead(args.trials, args.workers, args.epochs)
    print(f"{'backend':<30} {'wall':>8} {'trial runs':>11} {'overhead/trial':>15} {'ratio':>6}")
    for r in rows:
        print(
            f"{r['backend']:<30} {r['wall_s']:>7.1f}s {r['run_s']:>10.1f}s "
            f"{r['overhead_per_trial_s']:>14.2f}s {r['ratio']:>6.2f}"
        )
    print(f"(ray.init before the 'running' rows: {rows[2]['ray_init_s']:.1f} s, not counted there)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
