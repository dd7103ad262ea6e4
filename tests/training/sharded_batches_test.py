"""Each rank's slice of the one-process batches: together they are exactly the one-process
batch, in order, every sample once; shares weight the loss; a DataLoader is refused."""

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from trainwise.errors import ConfigError
from trainwise.training.batches import LoaderBatches, TensorBatches
from trainwise.training.sharded_batches import ShardedBatches, slice_bounds


@pytest.mark.parametrize("world", [2, 3])
@pytest.mark.parametrize("shuffle", [True, False])
def test_the_ranks_slices_put_together_are_the_one_process_batches(world, shuffle):
    x, y = torch.arange(23.0).reshape(23, 1), torch.arange(23)
    full = TensorBatches(x, y, batch_size=5, shuffle=shuffle, seed=4)
    parts = [ShardedBatches(full, r, world) for r in range(world)]
    for epoch in (0, 1):
        joined = [
            torch.cat([b[1] for b in batches])
            for batches in zip(*(list(p.epoch(epoch)) for p in parts))
        ]
        assert [t.tolist() for t in joined] == [yb.tolist() for _, yb in full.epoch(epoch)]
    assert all(len(p) == len(full) == 5 for p in parts)
    for i in range(5):  # the shares of each batch add up to 1
        assert sum(p.shares[i] for p in parts) == pytest.approx(1.0)


def test_resuming_mid_epoch_gives_the_same_slices():
    full = TensorBatches(torch.randn(30, 2), torch.arange(30), batch_size=4, seed=1)
    part = ShardedBatches(full, 1, 2)
    tail = [yb.tolist() for _, yb in part.epoch(3, start_batch=5)]
    assert tail == [yb.tolist() for _, yb in part.epoch(3)][5:]


def test_a_short_last_batch_leaves_a_late_rank_an_empty_slice_with_share_zero():
    full = TensorBatches(torch.randn(9, 2), torch.arange(9), batch_size=4, shuffle=False)
    part = ShardedBatches(full, 1, 2)
    assert part.shares == [0.5, 0.5, 0.0]
    assert [len(yb) for _, yb in part.epoch(0)] == [2, 2, 0]
    assert slice_bounds(1, 0, 2) == (0, 1) and slice_bounds(1, 1, 2) == (1, 1)


def test_a_dataset_is_sliced_and_a_dataloader_refused():
    ds = TensorDataset(torch.randn(10, 2), torch.arange(10))
    part = ShardedBatches(LoaderBatches(ds, batch_size=4, shuffle=False), 0, 2)
    assert [yb.tolist() for _, yb in part.epoch(0)] == [[0, 1], [4, 5], [8]]
    with pytest.raises(ConfigError, match="val_data: a DataLoader is not allowed with 2"):
        ShardedBatches(LoaderBatches(DataLoader(ds, batch_size=4)), 0, 2, "val_data")
