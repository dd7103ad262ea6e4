"""The plan of a comparison: its folder, its trials, and ``plan.json``, which makes a repeated
command resume instead of mixing two different comparisons in one folder.

Layout of the folder (see docs/experiments.md)::

    DIR/plan.json                       variants, seeds or folds, base config (written first)
    DIR/trials/<variant-slug>/seed-<s>/ one run directory per trial (fold-<k>/ with --folds)
    DIR/compare.json, compare.csv, compare.md

Resume rule: a folder that already has a plan.json is only reused for the same plan (same
variants with the same overrides, same seeds or folds, same base config); otherwise the
command is refused before any trial runs, naming what differs. Metrics and workers are not
part of the plan: they change the table, not the trials.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from trainwise import run_files
from trainwise.checkpoint.drift import config_drift
from trainwise.errors import ConfigError
from trainwise.experiments.comparison.trial import TrialSpec
from trainwise.experiments.comparison.variants import Variant
from trainwise.run.session import chosen_dir
from trainwise.training.run_dir import make_run_dir, write_json

PLAN_VERSION = 1


def slugify(names: list[str]) -> dict[str, str]:
    """A folder name per variant name: lowercase letters, digits, ``.``, ``_`` and ``=``, other
    runs of characters become ``-``; unique (``-2``, ``-3`` on a clash); stable for the same
    ordered names.

    Example::

        >>> slugify(["baseline", "+dropout 0.2", "model.dropout=0.2, optimizer.lr=1e-3"])
        {'baseline': 'baseline', '+dropout 0.2': 'dropout-0.2', 'model.dropout=0.2, optimizer.lr=1e-3': 'model.dropout=0.2-optimizer.lr=1e-3'}
    """  # noqa: E501 - a doctest line
    out: dict[str, str] = {}
    taken: set[str] = set()
    for i, name in enumerate(names):
        base = re.sub(r"[^a-z0-9._=]+", "-", name.lower()).strip("-.") or f"variant-{i + 1}"
        slug, k = base, 1
        while slug in taken:
            k += 1
            slug = f"{base}-{k}"
        taken.add(slug)
        out[name] = slug
    return out


def compare_root(cfg, out_dir, stem: str, resume: bool) -> Path:
    """The comparison's folder: ``out_dir``; with ``resume`` the newest
    ``output.dir/compare-<stem>-*``; else a new ``output.dir/compare-<stem>-<time>``.
    ``output.name`` is not used (it names single runs)."""
    unnamed = cfg.model_copy(update={"output": cfg.output.model_copy(update={"name": None})})
    root = chosen_dir(unnamed, out_dir, f"compare-{stem}", resume, what="comparison")
    if root is None:
        return make_run_dir(cfg.output.dir, None, f"compare-{stem}")
    return make_run_dir(root.parent, root.name)


def make_plan(
    variants: list[Variant],
    seeds: list[int] | None,
    folds: int | None,
    base_config: dict[str, Any],
) -> dict[str, Any]:
    """The plan.json content (everything that decides what the trials are)."""
    slugs = slugify([v.name for v in variants])
    return {
        "version": PLAN_VERSION,
        "variants": [
            {"name": v.name, "overrides": v.overrides, "slug": slugs[v.name]} for v in variants
        ],
        "seeds": seeds,
        "folds": folds,
        "config": base_config,
    }


def _differences(saved: dict[str, Any], plan: dict[str, Any]) -> list[str]:
    out = []
    if saved.get("variants") != plan["variants"]:
        before = ", ".join(repr(v["name"]) for v in saved.get("variants", []))
        now = ", ".join(repr(v["name"]) for v in plan["variants"])
        out.append(f"variants (or their overrides): saved {before}; now {now}")
    for key in ("seeds", "folds"):
        if saved.get(key) != plan[key]:
            out.append(f"{key}: saved {saved.get(key)!r}; now {plan[key]!r}")
    changed = config_drift(saved.get("config") or {}, plan["config"])
    if changed:
        shown = ", ".join(f"{k} ({a!r} -> {b!r})" for k, a, b in changed[:5])
        more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        out.append(f"base config: {shown}{more}")
    return out


def check_plan(root: Path, plan: dict[str, Any]) -> bool:
    """Write ``root/plan.json``, or check that the one there is the same plan.

    Returns True when the folder already held this plan (a resumed comparison). Raises
    ConfigError, before any trial runs, when it held another one.
    """
    path = root / run_files.PLAN
    # Round-trip through JSON so tuples/lists and int/float keys compare as they are saved.
    plan = json.loads(json.dumps(plan, default=str))
    if not path.is_file():
        write_json(path, plan)
        return False
    saved = json.loads(path.read_text())
    diff = _differences(saved, plan)
    if diff:
        raise ConfigError(
            f"{str(root)!r} holds another comparison (plan.json differs):\n"
            + "\n".join(f"  - {d}" for d in diff)
            + "\nRerun with the same variants, seeds/folds and config to resume it, or choose "
            "another --out"
        )
    return True


def trial_specs(
    variants: list[Variant],
    configs: dict[str, Any],
    seeds: list[int] | None,
    folds: int | None,
    resume_hint: str = "",
) -> list[TrialSpec]:
    """Every (variant, seed) or (variant, fold) trial, seed-major: all variants of the first
    seed come first, so an early stop leaves complete pairs with the baseline.

    Seed trials set ``seed`` to the seed; fold trials keep the config seed (it seeds the fold
    assignment too, so every variant sees the same folds). Progress is off in every trial.
    """
    slugs = slugify([v.name for v in variants])
    keys = [(None, k) for k in range(1, folds + 1)] if folds else [(s, None) for s in seeds or []]
    specs = []
    for seed, fold in keys:
        for v in variants:
            cfg = configs[v.name]
            cfg = cfg.model_copy(
                update={
                    "seed": cfg.seed if seed is None else seed,
                    "training": cfg.training.model_copy(update={"progress": "off"}),
                }
            )
            sub = f"fold-{fold}" if fold else f"seed-{seed}"
            specs.append(
                TrialSpec(
                    variant=v.name,
                    seed=cfg.seed,
                    fold=fold,
                    folds=folds,
                    dir=f"trials/{slugs[v.name]}/{sub}",
                    config=cfg,
                    resume_hint=resume_hint,
                )
            )
    return specs
