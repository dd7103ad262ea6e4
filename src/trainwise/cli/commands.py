"""One function per CLI verb; each returns an exit code."""

from __future__ import annotations

import sys
from pathlib import Path

from trainwise.config import load_config
from trainwise.errors import NotAvailableError

#: The recipe `trainwise demo` runs (also examples/mnist1d.yaml).
DEFAULT_RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "default.yaml"


def _print_summary(summary: dict, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_header=False)
    test = summary.get("test", {})
    for key, value in test.items():
        table.add_row(
            key.replace("_", " "), f"{value:.4f}" if key.endswith("loss") else _pct(key, value)
        )
    best = summary.get("best", {})
    table.add_row(
        "best epoch (val_loss)", f"{summary.get('best_epoch')} of {summary.get('epochs_run')}"
    )
    for key in ("val_accuracy", "val_loss", "val_mse"):
        if key in best:
            table.add_row(f"{key.replace('_', ' ')} (best epoch)", _pct(key, best[key]))
    table.add_row("training time", f"{summary['train_seconds']:.1f} s")
    table.add_row("parameters", f"{summary['params']:,}")
    if summary.get("stop_reason"):
        table.add_row("stopped", summary["stop_reason"])
    table.add_row("run directory", summary["run_dir"])
    Console().print(table)


def _pct(key: str, value: float) -> str:
    return f"{100 * value:.2f}%" if "accuracy" in key else f"{value:.4g}"


def _finish(summary: dict, title: str) -> int:
    """Print the summary, or for a run stopped by a signal the message on how to resume."""
    if summary.get("interrupted"):
        print(summary["stop_reason"], file=sys.stderr)
        return 130 if "SIGINT" in summary["stop_reason"] else 143
    _print_summary(summary, title)
    return 0


def cmd_demo(args) -> int:
    from trainwise.training.session import run_config

    cfg = load_config(DEFAULT_RECIPE, [f"seed={args.seed}", *args.overrides])
    summary = run_config(cfg, args.out, stem="demo", resume=args.resume)
    return _finish(summary, "trainwise demo: default recipe on MNIST-1D")


def cmd_run(args) -> int:
    from trainwise.training.session import run_config

    cfg = load_config(args.config, args.overrides)
    summary = run_config(
        cfg, args.out, stem=Path(args.config).stem, resume=args.resume, config_path=args.config
    )
    return _finish(summary, f"trainwise run {args.config}")


def cmd_models(args) -> int:
    from trainwise.data.load import load_data
    from trainwise.models.build import build_model
    from trainwise.models.summary import model_summary

    cfg = load_config(args.config or DEFAULT_RECIPE, args.overrides)
    bundle = load_data(cfg.data, seed=cfg.seed)
    model = build_model(cfg.model, bundle.input_shape, bundle.output_dim)
    print(model_summary(model, bundle.input_shape).render())
    return 0


def _not_yet(name: str):
    def handler(args) -> int:
        raise NotAvailableError(f"'trainwise {name}' is not available in this version yet")

    return handler


cmd_doctor = _not_yet("doctor")
cmd_compare = _not_yet("compare")
cmd_lr_find = _not_yet("lr-find")
cmd_eval = _not_yet("eval")
cmd_report = _not_yet("report")
