"""One rank's part of every batch, for data-parallel training.

``batch_size`` stays the global batch: epoch ``e`` has the order one process would use (a
function of seed and epoch only, see :mod:`trainwise.training.batches`), each global batch is
cut into ``world_size`` contiguous slices as equal as possible (the first ``B % W`` ranks
take one sample more) and rank ``r`` takes slice ``r``. ``shares[i]`` is this rank's fraction
of batch ``i``: the loop weights its loss by it, so the gradients summed over the ranks are
the one-process gradient, the short last batch included. Validation and test batches are cut
the same way, so every sample is scored once (no padding duplicates, unlike
``DistributedSampler``).

A rank whose slice of a short last batch is empty (fewer samples than ranks) runs the step
on an empty batch: its share is 0, so it contributes a zero gradient and no metrics.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import torch

from trainwise.errors import ConfigError
from trainwise.training.batches import LoaderBatches, TensorBatches, _pinned_take, _take


def slice_bounds(size: int, rank: int, world: int) -> tuple[int, int]:
    """``[lo, hi)`` of rank ``rank``'s slice of a batch of ``size`` samples.

    >>> [slice_bounds(5, r, 2) for r in range(2)]
    [(0, 3), (3, 5)]
    """
    base, rem = divmod(size, world)
    lo = rank * base + min(rank, rem)
    return lo, lo + base + (1 if rank < rem else 0)


class ShardedBatches:
    """Rank ``rank``'s slices of ``base``'s batches (see the module doc).

    Args:
        base: a :class:`TensorBatches`, or a :class:`LoaderBatches` over a Dataset (a user's
            DataLoader has its own order and batch sizes, so it is refused).
        rank, world: this process and the number of processes.
        what: the data's name in error messages (default "train_data").

    Example::

        full = TensorBatches(torch.randn(10, 3), torch.arange(10), batch_size=4)
        part = ShardedBatches(full, rank=1, world=2)
        [len(y) for _, y in part.epoch(0)]  # [2, 2, 1]
    """

    def __init__(self, base, rank: int, world: int, what: str = "train_data"):
        if isinstance(base, LoaderBatches) and base._generator is None:
            raise ConfigError(
                f"{what}: a DataLoader is not allowed with {world} processes (its order and "
                "batch sizes are its own, so trainwise cannot give each rank its slice); "
                "allowed: tensors or a Dataset"
            )
        self.base, self.rank, self.world = base, rank, world
        self.batch_size = base.batch_size
        n, bs = base.num_samples, base.batch_size
        sizes = [min(bs, n - start) for start in range(0, n, bs)]
        self.bounds = [slice_bounds(size, rank, world) for size in sizes]
        #: this rank's fraction of each batch (index = batch of the epoch)
        self.shares = [(hi - lo) / size for (lo, hi), size in zip(self.bounds, sizes)]

    @property
    def num_samples(self) -> int:
        return self.base.num_samples

    def __len__(self) -> int:
        return len(self.bounds)

    def epoch(
        self, epoch: int, start_batch: int = 0
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        base = self.base
        if not isinstance(base, TensorBatches):  # a Dataset: load the batch, keep the slice
            for j, (xb, yb) in enumerate(base.epoch(epoch, start_batch), start_batch):
                lo, hi = self.bounds[j]
                yield xb[lo:hi], yb[lo:hi]
            return
        idx = base.order(epoch)
        bs = base.batch_size
        take = _pinned_take if base.pin_memory else _take
        for j in range(start_batch, len(self.bounds)):
            lo, hi = self.bounds[j]
            start = j * bs
            sel = slice(start + lo, start + hi) if idx is None else idx[start + lo : start + hi]
            yield take(base.x, sel), take(base.y, sel)


def shard_parts(parts, dist):
    """``parts`` (a :class:`~trainwise.training.fit_parts.FitParts`) with its train,
    validation and test batches cut to rank ``dist.rank``'s slices.

    Example::

        parts = shard_parts(parts, Distributed.from_env("cpu"))
    """
    rank, world = dist.rank, dist.world_size

    def cut(batches, what):
        return None if batches is None else ShardedBatches(batches, rank, world, what)

    return dataclasses.replace(
        parts,
        train=cut(parts.train, "train_data"),
        val=cut(parts.val, "val_data"),
        test=cut(parts.test, "test_data"),
    )
