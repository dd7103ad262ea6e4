"""What data-parallel training costs on this machine (docs/distributed.md has the figures).

Usage::

    python bench/distributed.py [--epochs 2] [--skip-restart] [--skip-ray] [--json out.json]

Prints, on the default recipe (MNIST-1D, the 4-layer CNN, batch 128):

* per-step time of 1 process x 2 threads against 2 processes x 1 thread (gloo): the same
  global batch, so the same number of steps; on 2 small CPU cores the 2 processes are
  expected to lose (each computes half a batch at about half the speed, plus the
  all-reduce and the extra process's share of the cores);
* the all-reduce's cost per step (the one collective of a step: gradients and flags), timed
  inside the 2-process run;
* the cost of a checkpoint (gather of every rank's state, rank 0's atomic write, barrier),
  per save and per step when saving every step;
* the time from a rank's death (SIGKILL) to training again under
  ``trainwise run --nproc 2 --max-restarts 1`` (torchrun notices, stops the survivor,
  restarts both, which import, rendezvous and resume): measured to rank 0's
  "resuming from" line;
* the Ray backend's per-trial overhead against the process pool, from
  ``bench/ray_overhead.py`` when that file and Ray are present.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import pickle
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from trainwise.callbacks.callback import Callback
from trainwise.cli.commands import DEFAULT_RECIPE
from trainwise.run import load_config
from trainwise.run.session import run_config


class _StepClock(Callback):
    """Training time of each epoch (first step to last step, validation left out)."""

    def __init__(self):
        self.train_s, self.steps = 0.0, 0

    def on_epoch_start(self, trainer, epoch):
        self._t0 = time.perf_counter()

    def on_batch_end(self, trainer, step, loss, output, target):
        self._last = time.perf_counter()
        self.steps += 1

    def on_epoch_end(self, trainer, epoch, logs):
        self.train_s += self._last - self._t0


def _timed(obj, name: str, totals: dict[str, list[float]], undo: list) -> None:
    """Wrap ``obj.name`` to add each call's seconds to ``totals[name]``; ``undo`` gets what
    puts it back."""
    fn = getattr(obj, name)
    totals[name] = []
    undo.append((obj, name, fn))

    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name].append(time.perf_counter() - t0)

    setattr(obj, name, wrapper)


def _train(epochs: int, out: Path, every_steps: int | None) -> dict[str, Any]:
    """One run of the default recipe in this process (a rank when WORLD_SIZE is set)."""
    # lazy: start-up time (the module is what the timing wraps)
    from trainwise.training import distributed, distributed_checkpointer

    clock = _StepClock()
    totals: dict[str, list[float]] = {}
    undo: list = []
    _timed(distributed.Distributed, "reduce_gradients", totals, undo)
    _timed(distributed_checkpointer.DistributedCheckpointer, "save", totals, undo)
    sets = [f"training.epochs={epochs}", "training.progress=off", "doctor=false"]
    if every_steps:
        sets.append(f"checkpoint.every_steps={every_steps}")
    cfg = load_config(DEFAULT_RECIPE, sets)
    # lazy: start-up time
    import trainwise.run.session as session

    build = session.build_callbacks
    session.build_callbacks = lambda c: [*build(c), clock]
    try:
        run_config(cfg, out, echo=lambda *_: None)
    finally:
        session.build_callbacks = build
        for obj, name, fn in undo:
            setattr(obj, name, fn)
    steps = clock.steps
    return {
        "step_ms": 1000 * clock.train_s / steps,
        "steps": steps,
        "allreduce_ms": 1000 * sum(totals["reduce_gradients"]) / steps if steps else 0.0,
        "save_ms": [1000 * t for t in totals["save"]],
    }


def _rank(rank: int, world: int, port: int, epochs: int, root: str, every, results) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
        LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
    )  # fmt: skip
    torch.set_num_threads(1)
    results.put((rank, pickle.dumps(_train(epochs, Path(root), every))))


def _two_processes(epochs: int, root: Path, every_steps: int | None) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = [
        ctx.Process(target=_rank, args=(r, 2, port, epochs, str(root), every_steps, results))
        for r in range(2)
    ]
    for p in procs:
        p.start()
    out = dict(results.get(timeout=1800) for _ in procs)
    for p in procs:
        p.join()
    return pickle.loads(out[0])


def restart_time(root: Path) -> float:
    """Seconds from SIGKILL of rank 1 to rank 0's "resuming from" line, under torchrun."""
    cfg = root / "restart.yaml"
    cfg.write_text(
        "seed: 0\ndata: {name: circles, n_samples: 2000, validation_split: 0.2}\n"
        "model: {name: mlp, hidden: [32]}\ntraining: {epochs: 40, batch_size: 16, "
        "progress: off}\ncheckpoint: {every_steps: 50}\ndoctor: false\n"
    )
    cmd = [sys.executable, "-u", "-m", "trainwise", "run", str(cfg), "--out", str(root / "r")]
    cmd += ["--nproc", "2", "--max-restarts", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    killed = None
    try:
        for raw in proc.stdout:
            line = raw.decode(errors="replace")
            if killed is None and "Total params" in line:  # rank 0 is about to train
                while not any((root / "r" / "checkpoints").glob("step-*")):
                    time.sleep(0.05)
                pid = _worker_pid(proc.pid, rank=1)
                killed = time.perf_counter()
                os.kill(pid, signal.SIGKILL)
            elif killed is not None and "resuming from" in line:
                return time.perf_counter() - killed
    finally:
        proc.kill()
        proc.wait()
    raise RuntimeError("the run ended without a restart")


def _worker_pid(launcher: int, rank: int) -> int:
    for proc in Path("/proc").iterdir():
        try:
            env = (proc / "environ").read_bytes().split(b"\0")
            stat = (proc / "stat").read_text().split()
        except OSError:
            continue
        if f"RANK={rank}".encode() in env and b"TORCHELASTIC_RESTART_COUNT=0" in env:
            if _descends(int(stat[3]), launcher):
                return int(proc.name)
    raise RuntimeError(f"no worker of rank {rank} found")


def _descends(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().split()[3])
        except OSError:
            return False
    return False


def ray_rows() -> list[dict[str, Any]] | None:
    """bench/ray_overhead.py's rows, or None without that file or without Ray."""
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import ray  # noqa: F401

        from ray_overhead import ray_overhead  # the Ray helper's bench, when present
    except ImportError:
        return None
    return ray_overhead(trials=4, workers=2, epochs=2)


def main(argv=None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--skip-restart", action="store_true")
    ap.add_argument("--skip-ray", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    figures: dict[str, Any] = {"cores": os.cpu_count(), "torch": torch.__version__}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        torch.set_num_threads(2)
        one = _train(args.epochs, root / "one", None)
        two = _two_processes(args.epochs, root / "two", None)
        saved = _two_processes(1, root / "saved", every_steps=1)
        figures |= {
            "one_process_2_threads_step_ms": one["step_ms"],
            "two_processes_1_thread_step_ms": two["step_ms"],
            "steps": one["steps"],
            "allreduce_ms_per_step": two["allreduce_ms"],
            "checkpoint_ms_per_save": sorted(saved["save_ms"])[len(saved["save_ms"]) // 2],
            "checkpoint_every_step_extra_ms": saved["step_ms"] - two["step_ms"],
        }
        if not args.skip_restart:
            figures["death_to_training_s"] = restart_time(root)
    print(f"per step, 1 process x 2 threads:  {figures['one_process_2_threads_step_ms']:.1f} ms")
    print(f"per step, 2 processes x 1 thread: {figures['two_processes_1_thread_step_ms']:.1f} ms")
    print(f"  of which the all-reduce:        {figures['allreduce_ms_per_step']:.2f} ms")
    print(f"checkpoint (median save):         {figures['checkpoint_ms_per_save']:.1f} ms")
    print(f"  every step, extra per step:     {figures['checkpoint_every_step_extra_ms']:.1f} ms")
    if "death_to_training_s" in figures:
        print(f"rank death -> training again:     {figures['death_to_training_s']:.1f} s")
    rows = None if args.skip_ray else ray_rows()
    if rows is None:
        print("Ray per-trial overhead: skipped (no bench/ray_overhead.py, no Ray, or --skip-ray)")
    else:
        figures["ray"] = rows
        for r in rows:
            print(f"{r['backend']:<30} overhead/trial {r['overhead_per_trial_s']:.2f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
