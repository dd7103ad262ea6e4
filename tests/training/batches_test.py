import torch
from torch.utils.data import DataLoader, TensorDataset

from trainwise.training.batches import LoaderBatches, TensorBatches


def _collect(batches, epoch, start=0):
    return torch.cat([y for _, y in batches.epoch(epoch, start)])


def test_each_epoch_is_a_permutation_fixed_by_seed_and_epoch():
    x, y = torch.arange(10).float()[:, None], torch.arange(10)
    b = TensorBatches(x, y, batch_size=3, seed=5)
    e0, e1 = _collect(b, 0), _collect(b, 1)
    assert sorted(e0.tolist()) == list(range(10)) and not torch.equal(e0, e1)
    assert torch.equal(e0, _collect(TensorBatches(x, y, 3, seed=5), 0))
    assert len(b) == 4


def test_resume_mid_epoch_replays_the_rest_of_the_same_order():
    x, y = torch.arange(10).float()[:, None], torch.arange(10)
    b = TensorBatches(x, y, batch_size=3, seed=2)
    assert torch.equal(_collect(b, 4)[6:], _collect(b, 4, start=2))


def test_no_shuffle_keeps_order_and_inputs_follow_targets():
    x, y = torch.arange(5).float()[:, None] * 10, torch.arange(5)
    b = TensorBatches(x, y, batch_size=2, shuffle=False)
    assert _collect(b, 3).tolist() == [0, 1, 2, 3, 4]
    for xb, yb in TensorBatches(x, y, 2, seed=1).epoch(0):
        assert torch.equal(xb[:, 0], yb.float() * 10)


def test_dataset_order_depends_on_seed_and_epoch_only():
    ds = TensorDataset(torch.zeros(10, 1), torch.arange(10))
    a, b = LoaderBatches(ds, batch_size=4, seed=3), LoaderBatches(ds, batch_size=4, seed=3)
    assert torch.equal(_collect(a, 2), _collect(b, 2))
    assert torch.equal(_collect(a, 2)[4:], _collect(a, 2, start=1))


def test_user_dataloader_is_used_as_is():
    dl = DataLoader(TensorDataset(torch.zeros(6, 1), torch.arange(6)), batch_size=4)
    b = LoaderBatches(dl)
    assert len(b) == 2 and _collect(b, 0).tolist() == list(range(6))
