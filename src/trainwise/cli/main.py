"""The ``trainwise`` command line.

Exit codes: 0 success; 2 bad input (config, data, arguments) with a message naming the field,
the value and what is allowed; 1 any other failure. User errors never print a traceback; set
TRAINWISE_DEBUG=1 to see one for internal errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from trainwise import __version__
from trainwise.errors import TrainwiseError

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on bad arguments already; this makes the message one clear line."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"error: {message}\n")


def _add_set(p):
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field, e.g. --set optimizer.lr=1e-3 (repeatable)",
    )


def _add_compare(sub) -> None:
    """The ``compare`` command's parser (the longest: its own function keeps
    :func:`build_parser` readable)."""
    p = sub.add_parser(
        "compare",
        help="train variants of a config over seeds or folds; table of mean ± std, 95%% CI "
        "and paired differences from the baseline",
    )
    p.add_argument("config", help="YAML config file (its compare: section names variants)")
    _add_set(p)
    p.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="values of a config field to compare, e.g. --vary model.dropout=0,0.2 "
        "(repeatable: the cartesian product; replaces the compare: section's variants)",
    )
    p.add_argument("--seeds", type=int, metavar="N", help="seeds per variant (compare.seeds, 3)")
    p.add_argument(
        "--folds", type=int, metavar="K", help="k-fold trials instead of seeds (paired by fold)"
    )
    p.add_argument(
        "--metrics",
        metavar="A,B",
        help="table columns, e.g. test_accuracy,val_loss (default: by task)",
    )
    p.add_argument("--baseline", metavar="NAME", help="variant the others are compared with")
    p.add_argument(
        "--workers", type=int, metavar="W", help="parallel trials (default: the number of cores)"
    )
    p.add_argument("--out", help="comparison folder (default output.dir/compare-<name>-<time>)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the newest comparison of this config (an existing --out always resumes)",
    )
    p.add_argument(
        "--backend",
        choices=("processes", "ray"),
        default="processes",
        help="where trials run: worker processes here (default) or Ray tasks "
        "(pip install trainwise[ray]; a lost worker's trial is retried from its checkpoints)",
    )
    p.add_argument(
        "--address",
        metavar="ADDR",
        help="with --backend ray: an existing Ray cluster (auto, HOST:PORT, ray://HOST:10001); "
        "--out must be storage every node shares (checked first). Default: a local Ray",
    )


def _add_run(sub) -> None:
    """The ``run`` command's parser (with its data-parallel flags: its own function keeps
    :func:`build_parser` readable)."""
    p = sub.add_parser("run", help="train from a YAML config")
    p.add_argument("config", help="YAML config file (see examples/)")
    _add_set(p)
    p.add_argument("--out", help="run directory (default output.dir/<config name>-<time>)")
    p.add_argument(
        "--resume",
        nargs="?",
        const=True,
        default=False,
        choices=("auto",),
        help="continue from the newest checkpoint; --resume auto: continue if the run "
        "directory holds one, else start (what a torchrun restart needs)",
    )
    p.add_argument(
        "--nproc",
        type=int,
        metavar="N",
        help="data-parallel training in N processes on this machine, started through "
        "torchrun (docs/distributed.md); batch_size stays the global batch",
    )
    p.add_argument(
        "--max-restarts",
        type=int,
        default=0,
        metavar="R",
        help="with --nproc: restart every process up to R times when one fails; each restart "
        "resumes from the newest checkpoint (default 0)",
    )
    p.add_argument(
        "--allow-world-size-change",
        action="store_true",
        help="resume a checkpoint saved by another number of processes (not exact: see "
        "docs/distributed.md)",
    )
    p.add_argument(
        "--folds",
        type=int,
        metavar="K",
        help="k-fold cross-validation (stratified for classification): one run per fold, "
        "cv.json with mean ± std",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="trainwise",
        description="Neural-network training tricks behind one interface, plus a training doctor.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    p = sub.add_parser("demo", help="train the default recipe on MNIST-1D and summarize")
    p.add_argument("--out", help="run directory (default runs/demo-<time>)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint")
    _add_set(p)

    _add_run(sub)

    p = sub.add_parser("eval", help="evaluate a run's checkpoints on its val and test splits")
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory of 'trainwise run'")
    p.add_argument(
        "--watch",
        action="store_true",
        help="keep polling for new checkpoints until the run finishes (summary.json)",
    )
    p.add_argument("--interval", type=float, default=2.0, help="seconds between polls (2)")
    p.add_argument("--timeout", type=float, help="stop watching after this many seconds")
    p.add_argument(
        "--monitor", default="val_loss", help="metric that picks eval/best.safetensors (val_loss)"
    )

    p = sub.add_parser("lr-find", help="LR range test: sweep the LR, plot, suggest an LR")
    p.add_argument("config", help="YAML config file (see examples/)")
    _add_set(p)
    p.add_argument("--out", help="output directory (default output.dir/lr-find-<name>-<time>)")
    p.add_argument("--start", type=float, default=1e-7, help="first LR of the sweep (1e-7)")
    p.add_argument("--end", type=float, default=10.0, help="last LR of the sweep (10)")
    p.add_argument("--steps", type=int, default=100, help="mini-batches in the sweep (100)")

    p = sub.add_parser("models", help="show a config's model: layers, shapes, parameter counts")
    p.add_argument("config", nargs="?", help="YAML config (default: the default recipe)")
    _add_set(p)

    p = sub.add_parser("doctor", help="preflight checks and a monitored run; prints findings")
    p.add_argument("config", help="YAML config file (see examples/)")
    _add_set(p)
    p.add_argument("--out", help="run directory (default output.dir/<config name>-doctor-<time>)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON on stdout")
    p.add_argument(
        "--fail-on",
        choices=("warning", "error"),
        help="exit 3 when a finding at or above this severity exists (a CI gate)",
    )

    p = sub.add_parser("report", help="(re)build the HTML report of a run or comparison")
    p.add_argument(
        "dir",
        metavar="DIR",
        help="run directory (metrics.jsonl, summary.json) or comparison directory "
        "(compare.json); report.html is written there",
    )

    _add_compare(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(f"trainwise {__version__}")
        return EXIT_OK
    if not args.command:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        # lazy: start-up time (`--help` and `--version` never load torch)
        from trainwise.cli import commands

        handler = getattr(commands, "cmd_" + args.command.replace("-", "_"))
        return handler(args) or EXIT_OK
    except TrainwiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last line of defence for the CLI
        if os.environ.get("TRAINWISE_DEBUG"):
            traceback.print_exc()
        if _peer_died(exc):
            print(
                f"error: rank {os.environ.get('RANK', '?')} of {os.environ['WORLD_SIZE']}: a peer "
                f"process of this data-parallel run stopped ({exc}); torchrun restarts the group "
                "when --max-restarts allows, and the run resumes from its last checkpoint "
                "(see docs/distributed.md)",
                file=sys.stderr,
            )
            return EXIT_FAILURE
        print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "(this is a bug in trainwise or an unexpected environment; "
            "rerun with TRAINWISE_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())


def _peer_died(exc: BaseException) -> bool:
    """Whether ``exc`` is a collective failing because another rank went away: under torchrun
    that is the usual sight on a survivor when one rank is killed, not a bug to report."""
    if int(os.environ.get("WORLD_SIZE", "1") or 1) <= 1:
        return False
    text = str(exc)
    return type(exc).__name__ == "DistBackendError" or any(
        s in text for s in ("Connection closed by peer", "Connection reset by peer", "gloo", "NCCL")
    )
