import torch
from torch import nn

from trainwise.doctor import Doctor
from trainwise.doctor.live.training_inputs_drift import float_inputs, pooled


def _run(kit, get_batch, *, epochs=6, rows=512, batch=32, mlp=None):
    """A plain loop whose pipeline is ``get_batch(idx, epoch) -> (xb, yb)``."""
    model = mlp or kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    doc = Doctor(model, opt)
    g = torch.Generator().manual_seed(0)
    for epoch in range(epochs):
        for idx in torch.randperm(rows, generator=g).split(batch):
            xb, yb = get_batch(idx, epoch)
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            doc.step(loss, inputs=xb, targets=yb)
        doc.epoch_end({"loss": float(loss.detach())})
    doc.close()
    return doc


def _stored(kit):
    x, y = kit.data()
    return x * 3.0 + 5.0, y  # raw features, mean 5 std 3 (the Dataset's own tensors)


def test_a_dataset_normalizing_its_stored_samples_in_place_is_named(kit):
    raw, y = _stored(kit)

    def get_batch(idx, epoch):  # __getitem__ normalizes the stored row in place
        return torch.stack([raw[int(i)].sub_(5.0).div_(3.0) for i in idx]), y[idx]

    f = kit.one(_run(kit, get_batch), "training_inputs_drift")
    assert f.severity == "warning" and f.epoch == 1
    stds = [e["std"] for e in f.evidence["epoch_stats"]]
    assert stds[1] < 0.5 * stds[0] and stds[2] < stds[1]
    assert "copy" in f.fix.text and "sub_" in f.fix.text


def test_normalizing_a_copy_is_silent(kit):
    raw, y = _stored(kit)

    def get_batch(idx, epoch):
        return torch.stack([(raw[int(i)] - 5.0) / 3.0 for i in idx]), y[idx]

    assert "training_inputs_drift" not in kit.codes(_run(kit, get_batch))


def test_heavy_random_augmentation_is_silent(kit):
    x, y = kit.data()
    gen = torch.Generator().manual_seed(1)

    def get_batch(idx, epoch):  # flips, noise, random scaling, mixup: all random per batch
        xb = x[idx] * (1 + 0.5 * torch.rand(len(idx), 1, generator=gen))
        xb = torch.where(torch.rand(len(idx), 1, generator=gen) < 0.5, -xb, xb)
        xb = xb + 0.7 * torch.randn(xb.shape, generator=gen)
        lam = float(torch.rand(1, generator=gen))
        return lam * xb + (1 - lam) * xb.flip(0), y[idx]

    assert "training_inputs_drift" not in kit.codes(_run(kit, get_batch, epochs=10))


def test_a_one_off_change_is_not_a_drift(kit):
    x, y = kit.data()

    def get_batch(idx, epoch):  # a stronger pipeline switched on from epoch 3: moves once
        return (x[idx] * 0.3 if epoch >= 3 else x[idx]), y[idx]

    assert "training_inputs_drift" not in kit.codes(_run(kit, get_batch))


def test_integer_inputs_are_not_judged(kit):
    tokens = torch.randint(0, 50, (512, 8))
    y = tokens[:, 0] % 4
    model = nn.Sequential(nn.Embedding(50, 8), nn.Flatten(), nn.Linear(64, 4))

    def get_batch(idx, epoch):
        return tokens[idx] // (epoch + 1), y[idx]  # shrinking ids: still not float inputs

    assert "training_inputs_drift" not in kit.codes(_run(kit, get_batch, mlp=model))


def test_helpers():
    assert pooled([[2, 1.0, 0.0], [2, 1.0, 0.0]]) == (1.0, 0.0)
    t = torch.ones(2)
    assert float_inputs({"ids": torch.ones(2, dtype=torch.long), "x": t}) is t
    assert float_inputs(torch.ones(2, dtype=torch.long)) is None
