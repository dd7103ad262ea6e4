"""``trainwise compare`` / ``tw.compare``: every variant of a config, over seeds or folds, in
parallel worker processes, with a table of mean ± std, 95% intervals and paired differences.

Decisions (also in docs/experiments.md, "Comparing variants"):

* Variants come from ``--vary`` (cartesian product; the baseline is the combination equal to
  the config unchanged, else the first), from ``variants=`` / the ``compare.variants`` section
  (baseline: ``compare.baseline``, default the first), or, with neither, the config alone
  (one variant, "baseline": the seed-to-seed spread of one config). ``--baseline`` overrides.
  CLI flags and arguments override the ``compare:`` section. Every variant's config is
  validated before any trial runs.
* Seeds: trial s of N uses ``seed = config seed + s``; the same seeds for every variant, so
  differences pair by seed. ``folds=K`` runs k-fold trials instead (the same stratified folds
  as ``trainwise run --folds``, from the config seed), paired by fold.
* Metrics per trial come from its summary.json: ``test_*`` from the final model's test
  scores, ``val_*`` (any other name) at the best epoch (lowest val_loss), ``final_<key>`` at
  the last epoch; see :mod:`trainwise.experiments.comparison.trial`.
* Workers: ``workers`` (default ``os.cpu_count()``, at most the trials left) spawned processes,
  each with ``cores // workers`` torch threads; ``workers=1`` runs in this process. With
  ``backend="ray"`` the trials are Ray tasks instead (local or ``address``), a lost worker's
  trial retried by Ray from its checkpoints (see :mod:`.ray_backend`). Each
  trial's output goes to its ``log.txt``; here a progress bar (on a terminal) or one line per
  finished trial.
* Resume: the folder's plan.json must match (else ConfigError before any trial); a trial with
  summary.json is read back, one with checkpoints resumes, others start fresh. Repeating the
  command with the same ``--out`` reruns nothing that finished.
* A failed trial is recorded (``status: "failed"``, its error; traceback in its log.txt) and
  the others go on; :attr:`CompareResult.failed` counts them (the CLI exits 1).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainwise import run_files
from trainwise.config.overrides import apply_overrides
from trainwise.config.validate import validate_config
from trainwise.config.yaml_loader import load_yaml_file
from trainwise.errors import ConfigError
from trainwise.experiments.comparison.plan import check_plan, compare_root, make_plan, trial_specs
from trainwise.experiments.comparison.results import build_results
from trainwise.experiments.comparison.runner import TrialProgress, make_backend, run_trials
from trainwise.experiments.comparison.table import to_markdown, write_csv
from trainwise.experiments.comparison.trial import check_metrics, default_metrics, trial_metrics
from trainwise.experiments.comparison.variants import (
    Variant,
    pick_baseline,
    variant_configs,
    variants_from_mapping,
    variants_from_vary,
)
from trainwise.experiments.predictions import output_semantics
from trainwise.report import write_report_or_warn
from trainwise.run.compare_config import CompareConfig
from trainwise.run.schema import Config
from trainwise.training.run_dir import write_json


@dataclass
class CompareResult:
    """What :func:`compare` returns.

    Attributes:
        dir: the comparison's folder (plan.json, trials/, compare.json, .csv, .md,
            report.html).
        results: the compare.json content (see docs/experiments.md).
        failed: trials that raised (their error is in ``results``, the traceback in log.txt).
        interrupted: a signal stopped the comparison; rerun with the same ``out_dir``.
    """

    dir: Path
    results: dict[str, Any]
    failed: int = 0
    interrupted: bool = False

    @property
    def baseline(self) -> str:
        return self.results["baseline"]

    def variant(self, name: str) -> dict[str, Any]:
        """The compare.json entry of variant ``name``."""
        for v in self.results["variants"]:
            if v["name"] == name:
                return v
        raise KeyError(name)

    def to_markdown(self) -> str:
        return to_markdown(self.results)


def _base(config, overrides) -> tuple[dict[str, Any], str]:
    """The raw config dict (before validation, so variants apply like ``--set``) and stem."""

    if isinstance(config, (str, Path)):
        raw, stem = load_yaml_file(config), Path(config).stem
    elif isinstance(config, Config):
        raw, stem = config.model_dump(mode="json"), "config"
    elif isinstance(config, dict):
        raw, stem = dict(config), "config"
    else:
        raise ConfigError(
            f"config: {type(config).__name__} is not allowed; give a YAML path, a dict or a Config"
        )
    return apply_overrides(raw, overrides), stem


def _choose_variants(section, variants, vary, baseline) -> tuple[list[Variant], str | None]:
    """The variants and the asked-for baseline (None: the variant equal to the config
    unchanged, else the first; see :func:`~trainwise.experiments.comparison.variants.pick_baseline`)."""
    if variants is not None and vary:
        raise ConfigError("give either vary (--vary) or variants (compare.variants), not both")
    if vary:
        return variants_from_vary(list(vary)), baseline
    if variants is not None:
        found = variants_from_mapping(dict(variants))
        if not found:
            raise ConfigError("variants: {} is empty; give at least one variant")
        return found, baseline or found[0].name
    if section.variants:
        found = variants_from_mapping(section.variants)
        return found, baseline or section.baseline or found[0].name
    return [Variant("baseline", {})], baseline


def _trials_of(section, seeds, folds, base_seed: int) -> tuple[list[int], int | None]:
    if seeds is not None and folds is not None:
        raise ConfigError(
            f"seeds: {seeds!r} and folds: {folds!r} given together; allowed: one of them"
        )
    if seeds is None and folds is None:
        seeds, folds = (None, section.folds) if section.folds else (section.seeds, None)
    if folds is not None:
        if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
            raise ConfigError(f"folds: {folds!r} is not allowed; allowed: an integer >= 2")
        return [base_seed], folds
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ConfigError(f"seeds: {seeds!r} is not allowed; allowed: an integer >= 1")
    return [base_seed + s for s in range(seeds)], None


def _check_workers(workers, backend: str) -> int | None:
    """``workers``, an integer >= 1; default ``os.cpu_count()`` (with the Ray backend None:
    the cluster's CPUs, known once Ray runs)."""
    if workers is None:
        return None if backend == "ray" else os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers: {workers!r} is not allowed; allowed: an integer >= 1")
    return workers


def _write_outputs(root: Path, results: dict[str, Any], echo) -> None:
    """compare.json, compare.csv, compare.md and report.html (table + overlaid curves)."""
    write_json(root / run_files.COMPARE, results)
    write_csv(results, root / run_files.COMPARE_CSV)
    (root / run_files.COMPARE_MD).write_text(to_markdown(results), encoding="utf-8")
    write_report_or_warn(root, echo)


def compare(
    config,
    variants: dict[str, dict[str, Any]] | None = None,
    vary: list[str] | None = None,
    seeds: int | None = None,
    folds: int | None = None,
    metrics: list[str] | None = None,
    baseline: str | None = None,
    overrides: list[str] | None = None,
    workers: int | None = None,
    out_dir: str | Path | None = None,
    resume: bool = False,
    echo: Callable[[str], Any] = print,
    progress: str = "auto",
    backend: str = "processes",
    address: str | None = None,
) -> CompareResult:
    """Train every variant of ``config`` for every seed (or fold); write plan.json, the trial
    runs, compare.json, compare.csv and compare.md; return a :class:`CompareResult`.

    Args:
        config: a YAML path, a raw config dict or a Config. ``overrides``: ``--set`` items
            applied first.
        variants: ``{name: {dotted.key: value}}`` (default: the config's ``compare.variants``).
        vary: ``["a.b=v1,v2", ...]``, the cartesian product (instead of ``variants``).
        seeds: trials per variant (default ``compare.seeds``, 3); seeds config seed + 0..N-1.
        folds: K-fold trials instead of seeds (default ``compare.folds``, None).
        metrics: table columns (default ``compare.metrics``, else by task: test_accuracy,
            val_accuracy, val_loss; or test_loss, val_loss, test_mae).
        baseline: the variant the others are compared with (default: see module docstring).
        workers: parallel processes (default ``os.cpu_count()``; 1 runs in this process).
        out_dir: the folder (default ``output.dir/compare-<config stem>-<time>``); an existing
            one with the same plan resumes. resume: without ``out_dir``, continue the newest
            ``compare-<stem>-*``.
        echo: where progress lines go (default print). progress: "auto" (a bar when echo is
            print and stdout is a terminal, else lines), "bar", "lines" or "off".
        backend: "processes" (default: worker processes of this machine) or "ray" (Ray
            tasks; ``pip install trainwise[ray]``): the same trials, the same numbers.
        address: with "ray", an existing cluster (``"auto"``, ``"HOST:PORT"``,
            ``"ray://HOST:10001"``; its nodes must share ``out_dir``, checked before any
            trial); default None: a local Ray started for the comparison.

    Example::

        import trainwise as tw
        r = tw.compare("examples/circles.yaml", vary=["model.norm=none,batch"], seeds=3,
                       overrides=["training.epochs=5"], workers=2)
        r.variant("model.norm=batch")["diff"]["test_accuracy"]["mean"]
    """

    raw, stem = _base(config, overrides)
    base_cfg = validate_config(raw, Config)
    section = base_cfg.compare
    chosen, asked = _choose_variants(section, variants, vary, baseline)
    seed_list, n_folds = _trials_of(section, seeds, folds, base_cfg.seed)
    configs = variant_configs(raw, chosen)  # every variant checked before any trial runs
    base_name = pick_baseline(chosen, configs, base_cfg, asked)
    metrics = list(metrics) if metrics else (list(section.metrics) if section.metrics else None)
    if metrics is not None:
        check_metrics(metrics)
    workers = _check_workers(workers, backend)
    make_backend(backend, workers, address)  # a bad backend, or Ray missing: before any folder
    if progress not in ("auto", "bar", "lines", "off"):
        raise ConfigError(f"progress: {progress!r} is not allowed; allowed: auto, bar, lines, off")

    base_dump = base_cfg.model_copy(update={"compare": CompareConfig()}).model_dump(mode="json")
    root = compare_root(base_cfg, out_dir, stem, resume)
    plan = make_plan(chosen, seed_list if not n_folds else None, n_folds, base_dump)
    if check_plan(root, plan):
        echo(f"resuming the comparison in {root}: finished trials are read back")
    hint = f"rerun the same trainwise compare command with --out {root}"
    specs = trial_specs(chosen, configs, seed_list if not n_folds else None, n_folds, hint)
    if progress == "auto":
        tty = echo is print and sys.stdout.isatty()
        progress = "bar" if tty else "lines"
    echo(
        f"{len(chosen)} variant(s) x "
        + (f"{n_folds} folds" if n_folds else f"{len(seed_list)} seed(s)")
        + f" = {len(specs)} trials -> {root}"
    )
    bar = TrialProgress(len(specs), progress, echo if progress != "off" else (lambda *_: None))
    try:
        records, interrupted = run_trials(specs, root, workers, bar, metrics, backend, address)
    finally:
        bar.close()

    done = [r.get("summary") or {} for r in records if r["status"] == "done"]
    if metrics is None:
        metrics = default_metrics(done, output_semantics(base_cfg.loss)[0])
    results = build_results(
        base_dump,
        [{"name": v.name, "overrides": v.overrides} for v in chosen],
        base_name,
        metrics,
        seed_list,
        n_folds,
        records,
    )
    _write_outputs(root, results, echo)
    failed = sum(r["status"] == "failed" for r in records)
    missing = [m for m in metrics if done and all(trial_metrics(s, [m])[m] is None for s in done)]
    if missing:
        echo(f"note: no trial reports {', '.join(missing)}; those columns are empty")
    if interrupted:
        echo(f"interrupted; {hint} to continue (finished trials are kept)")
    return CompareResult(root, results, failed=failed, interrupted=interrupted)
