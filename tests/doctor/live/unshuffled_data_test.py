import torch

from trainwise.doctor.live.unshuffled_data import batch_classes


def test_batches_sorted_by_label_fire_from_step_0(kit):
    doc = kit.train(kit.mlp(), sort=True, steps=40)
    f = kit.one(doc, "unshuffled_data")
    assert (f.step, f.where) == (0, "batches")
    assert f.evidence["single_class_batches"] >= 3
    assert f.evidence["expected_if_shuffled"] < 0.01
    assert f.fix.overrides == {"data.shuffle": True}


def test_shuffled_imbalanced_data_with_small_batches_is_silent(kit):
    x, _ = kit.data()
    y = (torch.rand(len(x), generator=torch.Generator().manual_seed(0)) < 0.05).long()
    doc = kit.train(kit.mlp(classes=2), xy=(x, y), batch=8, steps=64)
    single = sum(h[1] for h in next(r for r in doc.rules if r.code == "unshuffled_data").batches)
    assert single >= 20  # 95% of batches of 8 are single-class by chance ...
    assert "unshuffled_data" not in kit.codes(doc)  # ... and that is expected, so no finding


def test_regression_targets_are_not_classes():
    assert batch_classes(torch.tensor([0.5, 1.5])) is None
    assert batch_classes(torch.tensor([[0.0], [1.0]])).tolist() == [0, 1]
    assert batch_classes(torch.tensor([3, 1])).tolist() == [3, 1]


def test_live_rule_stays_quiet_when_preflight_already_reported_it():
    import torch

    from trainwise.doctor import Doctor

    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(256, 4)
    y = torch.arange(256) // 128  # sorted: two long runs
    doctor = Doctor(model, opt, task="classification")
    doctor.check_data(x, y)
    assert [f.code for f in doctor.findings] == ["unshuffled_data"]
    for i in range(0, 256, 32):  # the loop trains in that sorted order
        xb, yb = x[i : i + 32], y[i : i + 32]
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        doctor.step(loss, inputs=xb, targets=yb)
    assert [f.code for f in doctor.findings] == ["unshuffled_data"]
    doctor.close()
