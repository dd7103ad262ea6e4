"""Data-parallel training on ``torch.distributed``: one process per rank, started by
``torchrun`` (or ``trainwise run --nproc N``), gloo on CPU and nccl on CUDA.

Why an explicit all-reduce of the gradients rather than ``DistributedDataParallel``: the loop
already has the exact global batch of every step (``batch_size`` is the global batch), so each
rank weights its loss by its share of that batch and one SUM gives the one-process gradient,
short last batch and gradient accumulation included, with no ``no_sync`` bookkeeping; the
flags that must be agreed on every step (a SIGTERM seen by one rank) ride in the same
collective, so a step costs exactly one all-reduce; and the model stays the user's module
(no ``module.`` wrapper), so the doctor's hooks, ``torch.compile``, ``state_dict`` keys and
checkpoints are what one process has. The price is no overlap of communication with the
backward pass, which DDP's buckets give: it matters for large models on GPUs, not for the
small models on CPUs this path is tested on (docs/distributed.md has the figures).

One process never builds this object (``from_env`` returns None): the plain code path runs
unchanged, bit for bit.
"""

from __future__ import annotations

import copy
import os
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as tdist

#: seconds a collective waits for a peer before failing (torch's default is 30 minutes); a
#: dead peer is normally noticed at once (closed socket) and torchrun stops the survivors
TIMEOUT_ENV = "TRAINWISE_DIST_TIMEOUT"


def world_size_from_env() -> int:
    """The number of processes torchrun started (``WORLD_SIZE``; 1 outside torchrun).

    >>> world_size_from_env() >= 1
    True
    """
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def rank_from_env() -> int:
    """This process's rank (``RANK``; 0 outside torchrun): rank 0 alone writes run files."""
    return int(os.environ.get("RANK", "0") or 0)


def _init_group(backend: str) -> None:
    """``init_process_group`` over torchrun's store (env://), with the keys of this restart
    attempt under their own prefix: torchrun may hand every attempt the same store, and a
    restarted rank that read a key its dead predecessor left (an address to connect to)
    could wait for a peer that no longer exists."""
    timeout = timedelta(seconds=float(os.environ.get(TIMEOUT_ENV, "1800")))
    store, rank, world = next(tdist.rendezvous("env://", timeout=timeout))
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    store = tdist.PrefixStore(f"trainwise/attempt-{attempt}", store)
    tdist.init_process_group(backend, store=store, rank=rank, world_size=world, timeout=timeout)


class Distributed:
    """The process group of one data-parallel run, and the collectives the loop needs.

    Args:
        rank, world_size: this process and how many there are.
        device: where the model lives (collectives run there: CPU with gloo, CUDA with nccl).

    Attributes ``local_signal`` (a signal this rank received, set by the checkpointer's
    handler) and ``agreed_signal`` (the signal every rank agreed on at the last step, or 0)
    carry a graceful stop from one rank to all at the same step.

    Example (under ``torchrun --nproc-per-node 2``)::

        dist = Distributed.from_env("cpu")
        total = dist.sum_tensor(torch.tensor([1.0]))  # tensor([2.])
    """

    def __init__(self, rank: int, world_size: int, device: torch.device):
        self.rank = rank
        self.world_size = world_size
        self.device = torch.device(device)
        self.is_main = rank == 0
        self.local_signal = 0
        self.agreed_signal = 0

    @classmethod
    def from_env(cls, device: str | torch.device = "cpu") -> Distributed | None:
        """The process group torchrun's environment describes (created once, rendezvous
        ``env://``), or None for one process. On CUDA each rank takes ``cuda:LOCAL_RANK``."""
        world = world_size_from_env()
        if world <= 1:
            return None
        if str(device) == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        device = torch.device(device)
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
        if not tdist.is_initialized():
            _init_group("nccl" if device.type == "cuda" else "gloo")
        return cls(tdist.get_rank(), tdist.get_world_size(), device)

    # -- model ------------------------------------------------------------------------------
    def broadcast_model(self, model: torch.nn.Module, buffers_only: bool = False) -> None:
        """Copy rank 0's parameters (unless ``buffers_only``) and buffers to every rank: the
        same seed builds the same model everywhere, this makes it certain; BatchNorm's running
        statistics, which each rank updates from its own slice, are rank 0's before every
        validation (what DDP's ``broadcast_buffers`` does)."""
        tensors = [] if buffers_only else [p.data for p in model.parameters()]
        tensors += list(model.buffers())
        with torch.no_grad():
            for t in tensors:
                tdist.broadcast(t, src=0)

    def reduce_gradients(self, params: list[torch.Tensor], flags: list[float]) -> list[float]:
        """Sum every parameter's gradient over the ranks in one all-reduce (a flat buffer per
        dtype), with ``flags`` summed in the same collective; returns the summed flags.

        Each rank's loss was weighted by its share of the global batch, so the sum is the
        one-process gradient. A parameter no rank produced a gradient for keeps ``None`` (as
        one process would: the optimizer skips it); one some rank has gets the sum."""
        groups: dict[torch.dtype, list[torch.Tensor]] = {}
        for p in params:
            groups.setdefault(p.dtype, []).append(p)
        agreed: list[float] = []
        for n, (dtype, ps) in enumerate(groups.items()):
            extra = [1.0 if p.grad is not None else 0.0 for p in ps] + (flags if n == 0 else [])
            parts = [
                (p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in ps
            ]
            parts.append(torch.tensor(extra, dtype=dtype, device=ps[0].device))
            flat = torch.cat(parts)
            tdist.all_reduce(flat)
            tail = flat[-len(extra) :].tolist()
            offset = 0
            for p, present in zip(ps, tail):
                size = p.numel()
                if present:
                    summed = flat[offset : offset + size].view_as(p)
                    if p.grad is None:
                        p.grad = summed.clone()
                    else:
                        p.grad.copy_(summed)
                offset += size
            if n == 0:
                agreed = tail[len(ps) :]
        return agreed

    # -- agreement and sums -----------------------------------------------------------------
    def sum_tensor(self, values: torch.Tensor) -> torch.Tensor:
        """``values`` summed over the ranks (a new tensor on this rank's device)."""
        out = values.detach().to(self.device, copy=True)
        tdist.all_reduce(out)
        return out

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is true on any rank (a collective: every rank must call it)."""
        return bool(self.sum_tensor(torch.tensor([1.0 if flag else 0.0])).item())

    def max_int(self, value: int) -> int:
        """The largest ``value`` over the ranks (a collective)."""
        out = torch.tensor([float(value)], device=self.device)
        tdist.all_reduce(out, op=tdist.ReduceOp.MAX)
        return int(out.item())

    def reduced_metrics(self, metrics):
        """A copy of a :class:`~trainwise.training.metrics.RunningMetrics` whose count and
        sums are the totals over every rank (float64: every float32 sum and count is exact
        there), so each rank computes the same epoch logs. The running sums stay this rank's
        own (a mid-epoch checkpoint saves them per rank)."""
        keys = list(metrics.sums)
        values = [float(metrics.count)] + [metrics.sums[k] for k in keys]
        stacked = torch.stack(
            [torch.as_tensor(v, dtype=torch.float64, device=self.device) for v in values]
        )
        total = self.sum_tensor(stacked).tolist()
        out = copy.copy(metrics)
        out.count = int(total[0])
        out.sums = dict(zip(keys, total[1:]))
        return out

    def gather(self, obj: Any) -> list[Any]:
        """Every rank's ``obj`` (picklable), in rank order, on every rank."""
        out: list[Any] = [None] * self.world_size
        tdist.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        tdist.barrier()
