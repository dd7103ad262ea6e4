"""The live ``class_imbalance`` rule through the documented plain loop: a warning only when
the run shows the model ignoring the small classes; skewed shares alone stay ``info``."""

import pytest
import torch
from torch import nn

from trainwise.doctor import Doctor

SHARES = (0.8, 0.12, 0.08)  # 1:10, 48 samples in the smallest class of 600


def imbalanced(separable: bool, n: int = 600, seed: int = 0):
    """Three classes with SHARES; ``separable``: each class its own cluster, else the labels
    carry nothing the inputs show (a model can only learn the prior)."""
    g = torch.Generator().manual_seed(seed)
    counts = [int(round(s * n)) for s in SHARES]
    y = torch.cat([torch.full((k,), c) for c, k in enumerate(counts)])
    y = y[torch.randperm(n, generator=g)]
    x = torch.randn(n, 8, generator=g)
    if separable:
        x = x + 4.0 * torch.eye(8)[y]
    return x, y


def train(x, y, *, epochs=10, weight=None, smoothing=0.0, balanced=False, give_loss=False,
          check=True):  # fmt: skip
    """A plain loop with the doctor fed through ``check_data``/``step``/``epoch_end``."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss(weight=weight, label_smoothing=smoothing)
    doc = Doctor(model, opt, loss_fn=loss_fn if give_loss else None)
    if check:
        doc.check_data(x, y)
    g = torch.Generator().manual_seed(1)
    counts = torch.bincount(y).float()
    for _ in range(epochs):
        if balanced:  # what a WeightedRandomSampler with 1 / count weights draws
            order = torch.multinomial(1.0 / counts[y], len(y), replacement=True, generator=g)
        else:
            order = torch.randperm(len(y), generator=g)
        total = 0.0
        for idx in order.split(32):
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            doc.step(loss, inputs=xb, targets=yb)
            total += float(loss.detach())
        doc.epoch_end({"loss": total / len(order.split(32))})
    doc.close()
    return doc


def of(doc, code):
    return [f for f in doc.findings if f.code == code]


@pytest.fixture(autouse=True)
def _threads(one_thread):
    return None


def test_a_model_that_ignores_the_small_classes_is_warned_with_numbers():
    doc = train(*imbalanced(separable=False))
    info, warn = sorted(of(doc, "class_imbalance"), key=lambda f: f.severity)
    assert (info.severity, info.where) == ("info", "y_train")  # the preflight's shares
    assert (warn.severity, warn.where) == ("warning", "predictions")
    ev = warn.evidence
    assert ev["small_classes"] == [2] and ev["counts"] == {0: 480, 1: 72, 2: 48}
    assert ev["recall_small"] <= 0.5 * ev["recall_others"] and ev["recall_others"] >= 0.7
    assert ev["loss_ratio"] >= 0.9 and warn.epoch >= 1
    assert "recalled them" in warn.message and "1:10" in warn.message
    assert warn.fix.overrides == {"data.class_weight": "balanced"}
    assert not doc.passed()


def test_a_model_that_learns_the_small_classes_keeps_it_info():
    doc = train(*imbalanced(separable=True))
    assert [f.severity for f in of(doc, "class_imbalance")] == ["info"]
    assert doc.passed()


@pytest.mark.parametrize("give_loss", [False, True])
def test_inverse_frequency_weights_handle_it(give_loss):
    x, y = imbalanced(separable=False)
    weight = len(y) / (3 * torch.bincount(y).float())
    doc = train(x, y, weight=weight, give_loss=give_loss)
    assert [f.severity for f in of(doc, "class_imbalance")] == ["info"]
    rule = next(r for r in doc.rules if r.code == "class_imbalance")
    assert rule.done  # judged as handled, not merely not yet judged


def test_a_balancing_sampler_handles_it():
    doc = train(*imbalanced(separable=False), balanced=True)
    assert [f.severity for f in of(doc, "class_imbalance")] == ["info"]
    assert next(r for r in doc.rules if r.code == "class_imbalance").done


def test_without_check_data_the_counts_come_from_the_batches():
    doc = train(*imbalanced(separable=False), check=False)
    (warn,) = of(doc, "class_imbalance")
    assert warn.severity == "warning" and 2 in warn.evidence["small_classes"]


def test_multi_label_targets_are_never_class_imbalance():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(600, 8, generator=g)
    y = (torch.rand(600, 4, generator=g) < torch.tensor([0.6, 0.3, 0.05, 0.02])).float()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.BCEWithLogitsLoss()
    doc = Doctor(model, opt)
    doc.check_data(x, y)
    for _ in range(6):
        for idx in torch.randperm(600, generator=g).split(32):
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            doc.step(loss, inputs=x[idx], targets=y[idx])
        doc.epoch_end({"loss": float(loss.detach())})
    doc.close()
    assert of(doc, "class_imbalance") == [] and of(doc, "class_weights_inverted") == []


def test_binary_outputs_are_judged_through_the_losss_threshold():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(600, 8, generator=g)
    y = (torch.rand(600, generator=g) < 0.06).float()  # 1:15, and nothing in x predicts it
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    doc = Doctor(model, opt)  # no loss_fn: the threshold (logits: 0) comes from the graph
    doc.check_data(x, y, task="binary")
    for _ in range(10):
        total = 0.0
        for idx in torch.randperm(600, generator=g).split(32):
            opt.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(model(x[idx])[:, 0], y[idx])
            loss.backward()
            opt.step()
            doc.step(loss, inputs=x[idx], targets=y[idx])
            total += float(loss.detach())
        doc.epoch_end({"loss": total / 19})
    doc.close()
    warn = [f for f in of(doc, "class_imbalance") if f.severity == "warning"]
    assert len(warn) == 1 and warn[0].evidence["small_classes"] == [1]
    assert warn[0].evidence["recall"][1] <= 0.5 * warn[0].evidence["recall"][0]
