import torch
from torch import nn

from trainwise.doctor import Doctor


def _run(kit, batch, steps=40, norm=nn.BatchNorm1d):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), norm(16), nn.ReLU(), nn.Linear(16, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x, y = kit.data()
    doc = Doctor(model, opt)
    for t in range(steps):
        xb, yb = x[t * batch % 480 :][:batch], y[t * batch % 480 :][:batch]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        doc.step(loss, inputs=xb, targets=yb)
    doc.close()
    return doc


def test_batchnorm_on_two_samples_is_named(kit):
    f = kit.one(_run(kit, batch=2), "batch_too_small_for_batchnorm")
    assert f.severity == "warning" and f.evidence["batch"] == 2 and f.where == "1"
    assert "GroupNorm" in f.fix.text


def test_batchnorm_on_ordinary_batches_is_silent(kit):
    assert "batch_too_small_for_batchnorm" not in kit.codes(_run(kit, batch=32))


def test_layernorm_does_not_depend_on_the_batch(kit):
    doc = _run(kit, batch=2, norm=nn.LayerNorm)
    assert "batch_too_small_for_batchnorm" not in kit.codes(doc)
