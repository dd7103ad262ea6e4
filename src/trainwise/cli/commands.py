"""One function per CLI verb; each returns an exit code.

Each verb imports the layers it needs inside its function (``# lazy: start-up time``), so a
verb loads only what it uses and the parser answers ``--help`` at once."""

from __future__ import annotations

import sys
from pathlib import Path

from trainwise import run_files
from trainwise.errors import ConfigError
from trainwise.run import load_config
from trainwise.training.distributed import rank_from_env, world_size_from_env
from trainwise.vocabulary import format_metric

#: The recipe `trainwise demo` runs (also examples/mnist1d.yaml).
DEFAULT_RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "default.yaml"


def _print_summary(summary: dict, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_header=False)
    test = summary.get("test", {})
    for key, value in test.items():
        table.add_row(
            key.replace("_", " "),
            f"{value:.4f}" if key.endswith("loss") else format_metric(key, value),
        )
    best = summary.get("best", {})
    table.add_row(
        "best epoch (val_loss)", f"{summary.get('best_epoch')} of {summary.get('epochs_run')}"
    )
    for key in ("val_accuracy", "val_loss", "val_mse"):
        if key in best:
            table.add_row(f"{key.replace('_', ' ')} (best epoch)", format_metric(key, best[key]))
    table.add_row("training time", f"{summary['train_seconds']:.1f} s")
    table.add_row("parameters", f"{summary['params']:,}")
    if summary.get("stop_reason"):
        table.add_row("stopped", summary["stop_reason"])
    verdict = doctor_verdict(summary)
    if verdict is not None:
        table.add_row("doctor", verdict)
    table.add_row("run directory", summary["run_dir"])
    Console().print(table)


def doctor_verdict(summary: dict) -> str | None:
    """The summary row about the doctor: what it found, or that it was off (then nothing was
    checked, which is not a clean bill); None for a summary without either (an older one).

    >>> doctor_verdict({"doctor": "off", "findings": None})
    'off (doctor: false): nothing was checked'
    >>> doctor_verdict({"doctor": "on", "findings": []})
    '0 findings'
    """
    if summary.get("doctor") == "off":
        return "off (doctor: false): nothing was checked"
    found = summary.get("findings")
    if found is None:
        return None
    if not found:
        # not "no problems found": a run that prints progress ends with "doctor: no problems
        # found" already, and a verdict said twice reads like two checks
        return "0 findings"
    codes = ", ".join(f"{f['code']} ({f['severity']})" for f in found[:4])
    more = f" and {len(found) - 4} more" if len(found) > 4 else ""
    return f"{len(found)} finding(s): {codes}{more}; see {run_files.FINDINGS}"


def _finish(summary: dict, title: str) -> int:
    """Print the summary, or for a run stopped by a signal the message on how to resume."""
    if summary.get("interrupted"):
        print(summary["stop_reason"], file=sys.stderr)
        return 130 if "SIGINT" in summary["stop_reason"] else 143
    _print_summary(summary, title)
    return 0


def cmd_demo(args) -> int:
    # lazy: start-up time
    from trainwise.run.session import run_config

    cfg = load_config(DEFAULT_RECIPE, [f"seed={args.seed}", *args.overrides])
    summary = run_config(cfg, args.out, stem="demo", resume=args.resume)
    code = _finish(summary, "trainwise demo: default recipe on MNIST-1D")
    if code == 0 and summary.get("report"):
        print(f"report: {summary['report']}")
    return code


def cmd_report(args) -> int:
    """``trainwise report DIR``: (re)build DIR/report.html and print its path."""
    # lazy: start-up time
    from trainwise.report import write_report

    print(write_report(args.dir))
    return 0


def cmd_run(args) -> int:
    # lazy: start-up time
    from trainwise.run.session import run_config

    cfg = load_config(args.config, args.overrides)
    if getattr(args, "folds", None) is not None:
        return _run_folds(cfg, args)
    nproc = getattr(args, "nproc", None)
    if nproc is not None and nproc < 1:
        raise ConfigError(f"--nproc: {nproc} is not allowed; allowed: a number of processes >= 1")
    if (nproc or 1) > 1 and world_size_from_env() == 1:
        return _launch_processes(cfg, args)
    summary = run_config(
        cfg,
        args.out,
        stem=Path(args.config).stem,
        resume=args.resume,
        config_path=args.config,
        allow_world_size_change=getattr(args, "allow_world_size_change", False),
    )
    if rank_from_env() != 0:  # rank 0 prints the summary (or the stop message) once
        return 0 if not summary.get("interrupted") else 143
    return _finish(summary, f"trainwise run {args.config}")


def _launch_processes(cfg, args) -> int:
    """``trainwise run CONFIG --nproc N``: the same run in N processes through torchrun.
    The run directory is fixed here (every rank and restart meets in it) and the workers get
    ``--resume auto``, after this process has checked what the user asked for: a new run
    never continues a directory that holds checkpoints, ``--resume`` needs one."""
    # lazy: start-up time
    from trainwise.run.session import resolve_run_dir
    from trainwise.training.distributed_launch import launch

    stem = Path(args.config).stem
    run_dir = resolve_run_dir(cfg, args.out, stem, bool(args.resume) and args.resume != "auto")
    worker = ["run", str(args.config), "--out", str(run_dir), "--resume", "auto"]
    for item in args.overrides:
        worker += ["--set", item]
    if args.allow_world_size_change:
        worker.append("--allow-world-size-change")
    return launch(args.nproc, args.max_restarts, worker)


def _run_folds(cfg, args) -> int:
    """``trainwise run CONFIG --folds K``: one run per fold, cv.json, a mean ± std table."""
    # lazy: start-up time
    from trainwise.experiments.cross_validation.from_config import cv_report, run_cross_validation

    result = run_cross_validation(
        cfg,
        args.folds,
        args.out,
        stem=Path(args.config).stem,
        resume=args.resume,
        config_path=args.config,
    )
    if result.get("interrupted"):
        return _finish(result, "")
    print(cv_report(result))
    return 0


def cmd_models(args) -> int:
    # lazy: start-up time
    from trainwise.data.load import load_data
    from trainwise.models.build import build_model
    from trainwise.models.summary import model_summary

    cfg = load_config(args.config or DEFAULT_RECIPE, args.overrides)
    bundle = load_data(cfg.data, seed=cfg.seed)
    model = build_model(cfg.model, bundle.input_shape, bundle.output_dim)
    print(model_summary(model, bundle.input_shape).render())
    return 0


def cmd_eval(args) -> int:
    """``trainwise eval RUN_DIR [--watch]``: evaluate checkpoints into RUN_DIR/eval/."""
    # lazy: start-up time
    from trainwise.experiments.evaluation.watcher import EvalWatcher

    watcher = EvalWatcher(args.run_dir, monitor=args.monitor)
    try:
        if args.watch:
            print(f"watching {args.run_dir} (every {args.interval:g} s) ...")
            # a timeout is not a failure: the watcher did its work until told to stop
            watcher.watch(interval=args.interval, timeout=args.timeout)
        else:
            watcher.evaluator  # noqa: B018 - fails early, with exit 2, without a config.yaml
            watcher.poll()
        records = watcher.records()
    finally:
        watcher.close()
    n = sum(1 for r in records if "missed" not in r and "error" not in r)
    print(f"{n} evaluation(s) in {watcher.log_path}")
    if watcher.best_json.is_file():
        import json

        best = json.loads(watcher.best_json.read_text())
        print(
            f"best by {best['monitor']}: {best['checkpoint']} ({best['weights']} weights) "
            f"{best['value']:.4g} -> {watcher.best_path}"
        )
    return 0


def cmd_lr_find(args) -> int:
    """``trainwise lr-find CONFIG``: LR range test; writes lr_find.json and lr_find.png."""
    # lazy: start-up time
    from trainwise.training.lr_finder import format_result, lr_find_config

    cfg = load_config(args.config, args.overrides)
    result, out = lr_find_config(
        cfg,
        args.out,
        stem=Path(args.config).stem,
        start_lr=args.start,
        end_lr=args.end,
        num_steps=args.steps,
    )
    print(format_result(result))
    if result.retry:
        print(f"rerun: {lr_find_rerun(args, result.retry)}")
    print(f"results: {out / run_files.LR_FIND}")
    return 0


#: ``trainwise lr-find``'s flag for each ``lr_find`` argument a retry names.
LR_FIND_FLAGS = {"start_lr": "--start", "end_lr": "--end", "num_steps": "--steps"}


def lr_find_rerun(args, retry: dict) -> str:
    """The ``trainwise lr-find`` command line of a suggested retry: the same config, ``--set``
    overrides and the flags the user gave, with the retry's flags in place of theirs.

    >>> import argparse
    >>> a = argparse.Namespace(config="examples/circles.yaml", overrides=[], start=1e-7,
    ...                        end=10.0, steps=100)
    >>> lr_find_rerun(a, {"start_lr": 1e-05, "num_steps": 300})
    'trainwise lr-find examples/circles.yaml --start 1e-05 --end 10 --steps 300'
    """
    import shlex

    given = {"start_lr": args.start, "end_lr": args.end, "num_steps": args.steps}
    parts = ["trainwise", "lr-find", shlex.quote(str(args.config))]
    parts += [f"--set {shlex.quote(o)}" for o in args.overrides]
    for key, flag in LR_FIND_FLAGS.items():
        value = retry.get(key, given[key])
        parts.append(f"{flag} {value:g}" if isinstance(value, float) else f"{flag} {value}")
    return " ".join(parts)


def cmd_doctor(args) -> int:
    """Preflight + a monitored run; the findings as blocks (cli/findings_text.py), or as JSON
    with ``--json``."""
    import json

    # lazy: start-up time
    from trainwise.cli.findings_text import VerdictWatch
    from trainwise.doctor.attach import summary_lines
    from trainwise.run.diagnose import diagnose

    overrides = list(args.overrides)
    if args.json:
        overrides.append("training.progress=off")  # stdout carries the JSON only
    cfg = load_config(args.config, overrides)
    log = VerdictWatch(
        (lambda *a: print(*a, file=sys.stderr)) if args.json else print, summary_lines([])[0]
    )
    report = diagnose(cfg, args.out, stem=Path(args.config).stem + "-doctor", echo=log)
    summary = report.get("summary") or {}
    if summary.get("interrupted"):
        return _finish(summary, "")
    if args.json:
        print(json.dumps(report["findings"], indent=1))
    else:
        _print_findings(report, said_clean=log.said_clean)
    return _gate(report["findings"], getattr(args, "fail_on", None))


#: ``trainwise doctor --fail-on``: a finding at or above that severity exists (not 2: bad input)
EXIT_FINDINGS = 3


def _gate(findings: list, fail_on: str | None) -> int:
    """``--fail-on``: exit 3 when a finding at or above that severity exists, else 0.

    >>> _gate([{"severity": "warning"}], "error"), _gate([{"severity": "warning"}], "warning")
    (0, 3)
    """
    # lazy: start-up time
    from trainwise.doctor.finding import passes

    return EXIT_FINDINGS if fail_on and not passes(findings, fail_on) else 0


def _print_findings(report: dict, said_clean: bool = False, console=None) -> None:
    """The end of ``trainwise doctor``: each finding as a block (readable at 80 columns and in
    a log; ``--set`` fixes on one unbroken line), or the clean verdict unless the run's own
    output already said it (``said_clean``)."""
    # lazy: start-up time (rich, only when there is something to print)
    from rich.console import Console

    from trainwise.cli.findings_text import print_findings

    found = report["findings"]
    console = console or Console()
    if not report["trained"]:
        console.print("[bold]The data cannot be trained on as it is; training was not started.")
    if not found:
        verdict = "" if said_clean else "doctor: no problems found. "
        console.print(f"{verdict}Run directory: {report['run_dir']}", soft_wrap=True)
        return
    console.print()  # apart from the run's own lines above
    print_findings(console, found, f"trainwise doctor: {len(found)} finding(s)")
    console.print()
    console.print(f"{run_files.FINDINGS} and the run are in {report['run_dir']}", soft_wrap=True)


def cmd_compare(args) -> int:
    """``trainwise compare CONFIG``: variants x seeds/folds; prints and saves the table.
    Exit 1 when a trial failed (the others still ran), 130 when interrupted."""
    # lazy: start-up time
    from trainwise.experiments.comparison.compare import compare
    from trainwise.experiments.comparison.table import print_table

    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    result = compare(
        args.config,
        vary=args.vary or None,
        seeds=args.seeds,
        folds=args.folds,
        metrics=metrics,
        baseline=args.baseline,
        overrides=args.overrides,
        workers=args.workers,
        out_dir=args.out,
        resume=args.resume,
        backend=args.backend,
        address=args.address,
    )
    print_table(result.results)
    others = f"{run_files.COMPARE_CSV}, {run_files.COMPARE_MD}, trials/"
    print(f"results: {result.dir / run_files.COMPARE} ({others})")
    if (result.dir / run_files.REPORT).is_file():
        print(f"report: {result.dir / run_files.REPORT}")
    if result.interrupted:
        return 130
    if result.failed:
        print(
            f"{result.failed} trial(s) failed; their errors are in compare.json and each "
            "trial's log.txt",
            file=sys.stderr,
        )
        return 1
    return 0
