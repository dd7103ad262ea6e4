"""``class_weights_inverted``: class weights proportional to the class frequency."""

import pytest
import torch
from torch import nn

from trainwise.doctor import Doctor


def imbalanced(n: int = 600):
    """Three separable classes with shares 0.8 / 0.12 / 0.08."""
    g = torch.Generator().manual_seed(0)
    y = torch.cat([torch.zeros(480), torch.ones(72), torch.full((48,), 2)]).long()
    y = y[torch.randperm(n, generator=g)]
    return torch.randn(n, 8, generator=g) + 4.0 * torch.eye(8)[y], y


def train(x, y, *, weight=None, smoothing=0.0, give_loss=False, epochs=3):
    """A plain loop fed to the doctor through ``check_data``/``step``/``epoch_end``."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss(weight=weight, label_smoothing=smoothing)
    doc = Doctor(model, opt, loss_fn=loss_fn if give_loss else None)
    doc.check_data(x, y)
    g = torch.Generator().manual_seed(1)
    for _ in range(epochs):
        for idx in torch.randperm(len(y), generator=g).split(32):
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            doc.step(loss, inputs=x[idx], targets=y[idx])
        doc.epoch_end({"loss": float(loss.detach())})
    doc.close()
    return doc


def of(doc, code):
    return [f for f in doc.findings if f.code == code]


@pytest.fixture(autouse=True)
def _threads(one_thread):
    return None


@pytest.mark.parametrize("give_loss", [False, True])
def test_weights_that_grow_with_the_counts_fire_with_numbers(give_loss):
    x, y = imbalanced()
    freq = torch.bincount(y).float() / len(y)
    doc = train(x, y, weight=freq, give_loss=give_loss)
    (f,) = of(doc, "class_weights_inverted")
    assert (f.severity, f.where) == ("warning", "loss weights")
    ev = f.evidence
    assert ev["weights_from"] == ("loss_fn" if give_loss else "gradient")
    assert ev["counts"] == {0: 480, 1: 72, 2: 48} and ev["rank_correlation"] == 1.0
    w = ev["weights"]  # normalised to mean 1: the frequencies 0.8 / 0.12 / 0.08, times 3
    assert w[0] == pytest.approx(2.4, rel=0.05) and w[2] == pytest.approx(0.24, rel=0.05)
    assert ev["suggested_weights"][2] == pytest.approx(600 / (3 * 48))
    assert "1 / its frequency" in f.fix.text and f.fix.overrides == {
        "data.class_weight": "balanced"
    }
    # the inverted weights are why small classes would be ignored: the symptom yields to them
    assert [g.severity for g in of(doc, "class_imbalance")] == ["info"]


@pytest.mark.parametrize("kind", ["inverse", "none", "smoothing"])
def test_inverse_absent_or_unreadable_weights_are_silent(kind):
    x, y = imbalanced()
    weight = len(y) / (3 * torch.bincount(y).float()) if kind == "inverse" else None
    doc = train(x, y, weight=weight, smoothing=0.1 if kind == "smoothing" else 0.0)
    assert of(doc, "class_weights_inverted") == []
    outputs = doc.loop.class_outputs
    if kind == "smoothing":  # another gradient form: no weights are inferred at all
        assert outputs.inferred_weights() is None and outputs.misfit_steps > 0
    else:
        assert outputs.inferred_weights() is not None
