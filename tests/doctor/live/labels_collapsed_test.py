import torch
from torch import nn

from trainwise.doctor import Doctor


def _loop(y, epochs=2, check=False):
    torch.manual_seed(0)
    x = torch.randn(len(y), 4)
    model = nn.Linear(4, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    doc = Doctor(model, opt)
    if check:
        doc.check_data(x, y)
    for _ in range(epochs):
        for i in range(0, len(y), 32):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[i : i + 32]), y[i : i + 32])
            loss.backward()
            opt.step()
            doc.step(loss, inputs=x[i : i + 32], targets=y[i : i + 32])
        doc.epoch_end({"loss": float(loss.detach())})
    doc.close()
    return doc


def test_collapsed_targets_are_seen_from_the_batches_without_check_data():
    y = ((torch.arange(256) % 3).double() / 255).long()  # all 0
    found = [f for f in _loop(y).findings if f.code == "labels_collapsed"]
    assert [(f.severity, f.where, f.step) for f in found] == [("error", "targets", 0)]


def test_healthy_or_sorted_targets_and_check_data_runs():
    assert not any(f.code == "labels_collapsed" for f in _loop(torch.arange(256) % 3).findings)
    sorted_y = torch.sort(torch.arange(256) % 3).values  # first batches are one class
    assert not any(f.code == "labels_collapsed" for f in _loop(sorted_y).findings)
    y = torch.zeros(256, dtype=torch.long)
    found = [f.where for f in _loop(y, check=True).findings if f.code == "labels_collapsed"]
    assert found == ["y_train"]  # named once, by the preflight
