"""Transfers on CUDA: ``device: auto`` picks the GPU, in-memory batches come out pinned and
equal to the unpinned ones, a Dataset's DataLoader pins, and tw.fit trains from them."""

from __future__ import annotations

import torch
from torch.utils.data import TensorDataset

import trainwise as tw
from trainwise.training.batches import LoaderBatches, TensorBatches
from trainwise.training.config import resolve_device


def test_auto_picks_cuda():
    assert resolve_device("auto") == "cuda"


def test_tensor_batches_pin_and_match_the_plain_ones():
    x, y = torch.randn(100, 3, 4), torch.arange(100)
    for shuffle in (True, False):
        plain = list(TensorBatches(x, y, 32, shuffle=shuffle, seed=1).epoch(2))
        pinned = list(TensorBatches(x, y, 32, shuffle=shuffle, seed=1, pin_memory=True).epoch(2))
        for (a, b), (pa, pb) in zip(plain, pinned):
            assert pa.is_pinned() and pb.is_pinned()
            assert torch.equal(a, pa) and torch.equal(b, pb)
    on_gpu = TensorBatches(x.cuda(), y.cuda(), 32, pin_memory=True)
    xb, _ = next(on_gpu.epoch(0))
    assert xb.device.type == "cuda"  # data already on the GPU is served as it is


def test_dataset_loader_pins_and_a_users_loader_is_left_alone():
    data = TensorDataset(torch.randn(40, 3), torch.arange(40))
    xb, yb = next(LoaderBatches(data, 8, pin_memory=True).epoch(0))
    assert xb.is_pinned() and yb.is_pinned()
    user = torch.utils.data.DataLoader(data, batch_size=8)
    xb, _ = next(LoaderBatches(user, pin_memory=True).epoch(0))
    assert not xb.is_pinned()


def test_fit_on_auto_device_trains_on_the_gpu():
    x = torch.randn(256, 6)
    y = (x[:, 0] > 0).long()
    model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    result = tw.fit(model, (x, y), validation_split=0.25, epochs=5, lr=1e-2, device="auto",
                    doctor=False, verbose=False)  # fmt: skip
    assert next(result.model.parameters()).device.type == "cuda"
    assert result.history[-1]["val_accuracy"] > 0.9
