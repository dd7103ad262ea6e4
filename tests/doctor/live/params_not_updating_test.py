import torch
from torch import nn


def test_a_layer_missing_from_the_optimizer_is_an_error_at_step_0(kit):
    model = kit.mlp()
    held = [p for i, layer in enumerate(model) if i != 2 for p in layer.parameters()]
    doc = kit.train(model, torch.optim.Adam(held, lr=1e-3), steps=20)
    f = kit.one(doc, "params_not_updating")
    assert (f.severity, f.step, f.where) == ("error", 0, "2")
    assert f.evidence["params"] == ["2.weight", "2.bias"] and f.evidence["values"] == 32 * 33


class Detached(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(8, 4)
        self.b = nn.Linear(8, 4)

    def forward(self, x):
        return self.a(x) + self.b(x).detach()


def test_a_detached_branch_never_gets_a_gradient(kit):
    torch.manual_seed(0)
    doc = kit.train(Detached(), steps=20)
    f = kit.one(doc, "params_not_updating")
    assert (f.severity, f.step, f.where) == ("warning", 0, "b")
    assert f.evidence["status"] == "none"


def test_a_parameter_group_with_lr_0_never_changes(kit):
    model = kit.mlp()
    groups = [
        {"params": [p for i, m in enumerate(model) if i != 4 for p in m.parameters()]},
        {"params": list(model[4].parameters()), "lr": 0.0},
    ]
    doc = kit.train(model, torch.optim.SGD(groups, lr=0.05), steps=20)
    f = kit.one(doc, "params_not_updating")
    assert f.where == "4" and f.evidence["status"] == "unchanged"


def test_healthy_run_is_silent(kit):
    doc = kit.train(kit.mlp())
    assert "params_not_updating" not in kit.codes(doc)


def test_frozen_parameters_are_not_reported(kit):
    model = kit.mlp()
    model[0].requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    doc = kit.train(model, torch.optim.Adam(trainable, lr=1e-3), steps=20)
    assert "params_not_updating" not in kit.codes(doc)


def test_the_frozen_layers_growing_gradient_is_not_called_exploding(kit):
    model = kit.mlp()
    held = [p for i, layer in enumerate(model) if i != 2 for p in layer.parameters()]
    doc = kit.train(model, torch.optim.Adam(held, lr=1e-3), steps=200)
    assert kit.codes(doc) == {"params_not_updating"}


def _plain(model, opt, rewrap=False, steps=12):
    from trainwise.doctor import Doctor

    x, y = torch.randn(256, 8), torch.randint(0, 4, (256,))
    doc = Doctor(model, opt)
    for i in range(steps):
        xb, yb = x[(i * 32) % 256 :][:32], y[(i * 32) % 256 :][:32]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        if rewrap:
            loss = torch.tensor(loss.item(), requires_grad=True)
        loss.backward()
        opt.step()
        doc.step(loss, inputs=xb, targets=yb)
    doc.close()
    return doc


def test_a_loss_rebuilt_as_a_leaf_has_no_path_to_the_parameters(kit):
    model = kit.mlp()
    doc = _plain(model, torch.optim.Adam(model.parameters(), lr=1e-3), rewrap=True)
    f = kit.one(doc, "params_not_updating")
    assert (f.severity, f.where, f.step) == ("error", "loss", 0)
    assert f.evidence["leaf_loss"] and "no autograd path" in f.message
    healthy = kit.mlp()
    assert kit.codes(_plain(healthy, torch.optim.Adam(healthy.parameters(), lr=1e-3))) == set()


def test_an_optimizer_built_for_another_model_is_named_as_such(kit):
    old, model = kit.mlp(), kit.mlp(seed=1)
    doc = _plain(model, torch.optim.Adam(old.parameters(), lr=1e-3))
    f = kit.one(doc, "params_not_updating")  # one finding, not one per module
    assert (f.severity, f.where) == ("error", "optimizer")
    assert "holds none of the model's 6" in f.message
    assert "zero_grad_missing" not in kit.codes(doc)  # zero_grad() cannot clear these grads
