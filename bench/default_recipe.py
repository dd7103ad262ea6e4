"""The default recipe's accuracy and training time over several seeds.

Usage::

    python bench/default_recipe.py [--seeds 0 1 2] [--json out.json]

Prints per-seed test accuracy and training seconds (the loop only, as ``summary.json``'s
``train_seconds``) and their mean; README's figures come from this command.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile

from trainwise.cli.commands import DEFAULT_RECIPE
from trainwise.run import load_config
from trainwise.run.session import run_config


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            cfg = load_config(DEFAULT_RECIPE, [f"seed={seed}", "training.progress=off"])
            s = run_config(cfg, f"{tmp}/seed{seed}", echo=lambda *_: None)
            rows.append((seed, s["test"]["test_accuracy"], s["train_seconds"]))
            print(f"seed {seed}: test accuracy {100 * rows[-1][1]:.2f}%  train {rows[-1][2]:.1f} s")
    acc = [r[1] for r in rows]
    secs = [r[2] for r in rows]
    sd = statistics.stdev(acc) if len(acc) > 1 else 0.0
    print(
        f"mean: test accuracy {100 * statistics.mean(acc):.2f}% +- {100 * sd:.2f}  "
        f"train {statistics.mean(secs):.1f} s (max {max(secs):.1f} s)"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
