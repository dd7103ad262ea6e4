"""The data-parallel tests' ``ranks`` fixture: ranks as forked processes (no second import of
torch, so a 2-rank test costs about what its training costs)."""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import queue
import socket
import traceback

import pytest
import torch


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_main(fn, rank, world, port, results, env):
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world),
        TRAINWISE_DIST_TIMEOUT="60",
        **env,
    )
    torch.set_num_threads(1)
    try:
        # bytes, not tensors: torch would share tensors through fds of a process that exits
        results.put((rank, "ok", pickle.dumps(fn(rank))))
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        results.put((rank, "error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    finally:
        import torch.distributed as tdist

        if tdist.is_initialized():
            tdist.destroy_process_group()


def run_ranks(fn, world: int = 2, timeout: float = 180.0, env: dict | None = None) -> list:
    """``fn(rank)`` in ``world`` forked processes forming a gloo group (env:// on a free
    port); returns each rank's result in rank order, or raises with a rank's traceback."""
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    port = free_port()
    procs = [
        ctx.Process(target=_rank_main, args=(fn, r, world, port, results, env or {}))
        for r in range(world)
    ]
    for p in procs:
        p.start()
    out: dict[int, object] = {}
    try:
        for _ in range(world):
            rank, status, value = results.get(timeout=timeout)
            if status != "ok":
                raise AssertionError(f"rank {rank} failed: {value}")
            out[rank] = pickle.loads(value)
    except queue.Empty:
        raise AssertionError(f"ranks did not finish within {timeout} s") from None
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    return [out[r] for r in range(world)]


@pytest.fixture(scope="session")
def ranks():
    """:func:`run_ranks`: ``ranks(fn, world=2, timeout=180, env=None)``."""
    return run_ranks
