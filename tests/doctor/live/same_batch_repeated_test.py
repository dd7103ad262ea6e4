import torch
from torch import nn

from trainwise.doctor import Doctor
from trainwise.doctor.live.same_batch_repeated import fingerprint, same


def _run(kit, *, repeat=True, rows=512, batch=32, epochs=3, check=True, epoch_end=True):
    """A plain loop; ``repeat``: every step takes the first batch (next(iter(loader)))."""
    x, y = kit.data(n=rows)
    model = kit.mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    doc = Doctor(model, opt)
    if check:
        doc.check_data(x, y)
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        order = torch.randperm(rows, generator=g)
        for idx in order.split(batch):
            xb, yb = (x[:batch], y[:batch]) if repeat else (x[idx], y[idx])
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            doc.step(loss, inputs=xb, targets=yb)
        if epoch_end:
            doc.epoch_end({"loss": float(loss.detach())})
    doc.close()
    return doc


def test_the_first_batch_every_step_is_an_error_with_the_loader_fix(kit):
    f = kit.one(_run(kit), "same_batch_repeated")
    assert (f.severity, f.step, f.epoch) == ("error", 0, 0)
    assert f.evidence["batch_rows"] == 32 and f.evidence["train_rows"] == 512
    assert f.evidence["identical_probed_steps"] >= 4
    assert "for x, y in loader" in f.fix.text


def test_without_check_data_an_ended_epoch_of_one_batch_is_the_proof(kit):
    doc = _run(kit, check=False)
    f = kit.one(doc, "same_batch_repeated")
    assert f.evidence["train_rows"] is None and f.step == 0
    # the overfitting of those few samples is its consequence, not a second report
    assert not {"overfitting", "overconfident_predictions"} & kit.codes(doc)


def test_full_batch_training_is_silent(kit):
    # one batch per epoch is the whole data: the same batch every step is right
    assert "same_batch_repeated" not in kit.codes(_run(kit, rows=128, batch=128, epochs=20))
    doc = _run(kit, rows=128, batch=128, epochs=20, check=False)
    assert "same_batch_repeated" not in kit.codes(doc)


def test_a_fixed_batch_without_check_data_or_epochs_is_not_judged(kit):
    doc = _run(kit, check=False, epoch_end=False)
    assert "same_batch_repeated" not in kit.codes(doc)


def test_shuffled_batches_are_silent(kit):
    assert "same_batch_repeated" not in kit.codes(_run(kit, repeat=False))


def test_fingerprint_tells_row_order_and_targets_apart():
    x = torch.arange(12.0).reshape(4, 3)
    a = fingerprint(x, torch.tensor([0, 1, 2, 3])).tolist()
    assert same(a, fingerprint(x.clone(), torch.tensor([0, 1, 2, 3])).tolist())
    assert not same(a, fingerprint(x.flip(0), torch.tensor([0, 1, 2, 3])).tolist())
    assert not same(a, fingerprint(x, torch.tensor([0, 1, 2, 2])).tolist())
    assert fingerprint(None, "no tensors") is None


def _sampled(kit, weights_of, *, rows=512, batch=32, epochs=3, check=True):
    """A plain loop whose batches are drawn like ``DataLoader(sampler=WeightedRandomSampler(
    weights_of(y), num_samples=rows))``: indices below ``len(weights)``, with replacement."""
    x, y = kit.data(n=rows)
    model = kit.mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    doc = Doctor(model, opt)
    if check:
        doc.check_data(x, y)
    g = torch.Generator().manual_seed(0)
    weights = weights_of(y)
    for _ in range(epochs):
        for _ in range(rows // batch):
            idx = torch.multinomial(weights, batch, replacement=True, generator=g)
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            doc.step(loss, inputs=xb, targets=yb)
        doc.epoch_end({"loss": float(loss.detach())})
    doc.close()
    return doc


def _class_weights(y):
    return 1.0 / torch.bincount(y).float()


def test_a_sampler_given_one_weight_per_class_names_the_distinct_rows(kit):
    # the bug: 4 weights (one per class), so only samples 0..3 are ever drawn
    f = kit.one(_sampled(kit, _class_weights), "same_batch_repeated")
    assert f.severity == "error"
    assert f.evidence["distinct_rows"] == 4 and f.evidence["train_rows"] == 512
    assert f.evidence["rows_seen"] >= 8 * 32 and f.evidence["expected_distinct_rows"] > 100
    assert "4 distinct input rows" in f.message
    assert "one weight per sample" in f.fix.text


def test_per_sample_class_balanced_weights_are_silent(kit):
    # the fix: class_weight[y], drawn with replacement from every sample
    doc = _sampled(kit, lambda y: _class_weights(y)[y])
    assert "same_batch_repeated" not in kit.codes(doc)


def test_a_dataset_of_a_few_batches_repeats_rows_silently(kit):
    # 96 rows in batches of 32: rows repeat across batches by design
    doc = _sampled(kit, lambda y: torch.ones(len(y)), rows=96, epochs=8)
    assert "same_batch_repeated" not in kit.codes(doc)
    # without check_data the dataset's size is unknown: not judged
    assert "same_batch_repeated" not in kit.codes(_sampled(kit, _class_weights, check=False))


def test_inputs_wiped_to_zeros_are_not_a_handful_of_repeated_samples(kit):
    # every row identical (a preprocessing bug zeroed the features): the data itself holds
    # one distinct row, which says nothing about the sampler (unnormalized_inputs names it)
    x, y = kit.data(n=512)
    x = torch.zeros_like(x)
    model = kit.mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    doc = Doctor(model, opt)
    doc.check_data(x, y)
    g = torch.Generator().manual_seed(0)
    for _ in range(3):
        for idx in torch.randperm(512, generator=g).split(32):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            doc.step(loss, inputs=x[idx], targets=y[idx])
        doc.epoch_end({"loss": float(loss.detach())})
    doc.close()
    assert "same_batch_repeated" not in kit.codes(doc)
