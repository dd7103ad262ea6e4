"""Start N training processes on this machine through torchrun's own launcher
(``torch.distributed.run``), as ``trainwise run CONFIG --nproc N`` does.

The launcher is torch's: a local rendezvous on a free port (``--standalone``), one worker per
rank running ``python -m trainwise run ...``, and up to ``max_restarts`` restarts of every
worker when one fails; the workers get ``--resume auto``, so a restart continues from the
newest complete checkpoint. Several machines: run ``torchrun`` on each yourself
(docs/distributed.md).
"""

from __future__ import annotations

from trainwise.errors import ConfigError


def torchrun_args(nproc: int, max_restarts: int, worker_args: list[str]) -> list[str]:
    """torchrun's command line (without the program name) for ``nproc`` local workers
    running ``python -m trainwise <worker_args>``.

    >>> torchrun_args(2, 1, ["run", "a.yaml"])[:6]
    ['--standalone', '--nproc-per-node', '2', '--max-restarts', '1', '--monitor-interval']
    """
    if nproc < 1:
        raise ConfigError(f"--nproc: {nproc!r} is not allowed; must be >= 1")
    if max_restarts < 0:
        raise ConfigError(f"--max-restarts: {max_restarts!r} is not allowed; must be >= 0")
    return [
        "--standalone",
        "--nproc-per-node",
        str(nproc),
        "--max-restarts",
        str(max_restarts),
        # notice a dead worker within 0.5 s (the default 5 s delays every restart)
        "--monitor-interval",
        "0.5",
        "-m",
        "trainwise",
        *worker_args,
    ]


def launch(nproc: int, max_restarts: int, worker_args: list[str]) -> int:
    """Run the workers through ``torch.distributed.run`` and return an exit code: 0 when every
    rank finished, 1 when a rank failed with no restarts left (torch says which, above).

    Example::

        launch(2, 1, ["run", "examples/circles.yaml", "--out", "runs/c", "--resume", "auto"])
    """
    # lazy: start-up time (torch.distributed.run loads the elastic agent)
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    try:
        run(parse_args(torchrun_args(nproc, max_restarts, worker_args)))
    except ChildFailedError as exc:
        failures = exc.failures
        codes = sorted({f.exitcode for f in failures.values()})
        print(f"{len(failures)} of {nproc} processes failed (exit codes {codes})")
        return 143 if codes and all(c in (143, -15) for c in codes) else 1
    return 0
