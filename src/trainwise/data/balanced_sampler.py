"""A sampler that draws every class equally often per epoch, deterministic and resumable.

Hand-written: torch's ``WeightedRandomSampler`` draws i.i.d. with replacement (class counts
per epoch vary, majority samples repeat needlessly) and has no state to resume mid-epoch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from torch.utils.data import Sampler

from trainwise.errors import DataError


class BalancedSampler(Sampler[int]):
    """Yield ``num_samples`` indices per epoch, the same number from every class present.

    Defaults: ``num_samples=len(y)``, ``seed=0``. Each class gets ``num_samples // C``
    draws (the remainder goes one each to randomly chosen classes). A class with more
    samples than draws gives a random subset (no repeats); a smaller class is repeated
    through fresh permutations (every sample once before any twice). The epoch's indices are
    shuffled together. The order depends only on ``(seed, epoch)``: call :meth:`set_epoch`
    at each epoch start, like ``DistributedSampler``. :meth:`state_dict` records how many
    indices of the current epoch were handed out, so a resumed run continues exactly.

    Example::

        >>> s = BalancedSampler([0, 0, 0, 0, 0, 0, 1, 1], seed=0)
        >>> np.bincount(np.array([0, 0, 0, 0, 0, 0, 1, 1])[list(s)])
        array([4, 4])
    """

    def __init__(self, y: Any, seed: int = 0, num_samples: int | None = None):
        labels = y.detach().cpu().numpy() if hasattr(y, "detach") else np.asarray(y)
        labels = labels.reshape(-1)
        if labels.size == 0:
            raise DataError("y: no labels; allowed: at least one sample to balance")
        if not np.issubdtype(labels.dtype, np.integer):
            raise DataError(
                f"data.balanced_sampler: labels of dtype {labels.dtype}; allowed: integer class "
                "indices (classification only)"
            )
        self.classes = np.unique(labels)
        self.by_class = [np.flatnonzero(labels == c) for c in self.classes]
        self.num_samples = int(num_samples) if num_samples is not None else labels.size
        if self.num_samples < 1:
            raise DataError(f"num_samples: {num_samples}; allowed: >= 1")
        self.seed = int(seed)
        self.epoch = 0
        self.position = 0  # indices of the current epoch already handed out

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose order the next iteration yields.

        A new epoch starts from its beginning; setting the epoch already selected keeps the
        position, so a trainer that resumes via :meth:`load_state_dict` and then calls
        ``set_epoch`` for the resumed epoch still continues mid-epoch.
        """
        if int(epoch) != self.epoch:
            self.epoch, self.position = int(epoch), 0

    def epoch_indices(self, epoch: int) -> np.ndarray:
        """All indices of ``epoch`` in order (int64), independent of the sampler's state."""
        rng = np.random.default_rng([self.seed, epoch])
        n_cls = len(self.classes)
        draws = np.full(n_cls, self.num_samples // n_cls)
        draws[rng.choice(n_cls, self.num_samples % n_cls, replace=False)] += 1
        picked = []
        for members, k in zip(self.by_class, draws):
            reps = -(-k // members.size)  # ceil: permutations needed to cover k draws
            perms = [rng.permutation(members) for _ in range(max(reps, 1))]
            picked.append(np.concatenate(perms)[:k])
        return rng.permutation(np.concatenate(picked)).astype(np.int64)

    def __iter__(self) -> Iterator[int]:
        order = self.epoch_indices(self.epoch)
        start = self.position
        for i in range(start, len(order)):
            self.position = i + 1
            yield int(order[i])
        self.position = 0  # a finished epoch restarts from its beginning if iterated again

    def __len__(self) -> int:
        return self.num_samples

    def state_dict(self) -> dict[str, int]:
        """``{"seed", "epoch", "position"}``: plain ints, JSON-safe.

        ``position`` counts indices handed out so far; with a ``DataLoader`` using worker
        processes this runs ahead of the batches consumed, so a trainer that resumes
        mid-epoch should store ``batches_done * batch_size`` as ``position`` instead.
        """
        return {"seed": self.seed, "epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Restore a :meth:`state_dict`; the next iteration continues where it stopped."""
        missing = {"seed", "epoch", "position"} - set(state)
        if missing:
            raise DataError(
                f"sampler state: missing {sorted(missing)}; allowed: seed, epoch, position"
            )
        self.seed, self.epoch, self.position = (
            int(state["seed"]),
            int(state["epoch"]),
            int(state["position"]),
        )
