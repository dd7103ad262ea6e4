import torch
from torch import nn


class Log(nn.Module):
    def forward(self, x):
        return torch.log(x)


def test_nan_in_inputs_mid_run_names_the_inputs_and_the_step(kit):
    doc = kit.train(kit.mlp(), nan_at=30)
    f = kit.one(doc, "nan_loss")
    assert (f.severity, f.step, f.where) == ("error", 30, "inputs")
    assert f.evidence["bad_values"] == 1 and f.evidence["first_sample"] == 3
    assert doc.halted  # nothing else is judged on NaN weights


def test_log_of_a_negative_inside_forward_names_the_module(kit):
    x, y = kit.data()
    x = x.abs() + 0.1
    x[200:, 0] = -1.0  # finite inputs; the log inside the model makes the NaN
    torch.manual_seed(0)
    model = nn.Sequential(Log(), nn.Linear(8, 4))
    doc = kit.train(model, xy=(x, y))
    f = kit.one(doc, "nan_loss")
    assert f.where == "0" and f.evidence["module_type"] == "Log"
    assert f.evidence["culprit"] == "output"
    assert "module '0'" in f.message


def test_healthy_run_has_no_nan_finding(kit):
    doc = kit.train(kit.mlp())
    assert "nan_loss" not in kit.codes(doc)


def test_without_inputs_it_still_reports_the_step(kit):
    model = kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    from trainwise.doctor import Doctor

    doc = Doctor(model, opt)
    doc.step(torch.tensor(1.0))
    doc.step(torch.tensor(float("inf")))
    f = kit.one(doc, "nan_loss")
    assert f.step == 1 and f.where is None and "inputs=" in f.message


def test_a_loss_that_overflows_after_climbing_is_called_divergence(kit):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(512, 8, generator=g)
    y = 100 * x.sum(dim=1, keepdim=True)  # unscaled regression targets
    model = kit.mlp(classes=1)
    doc = kit.train(
        model, torch.optim.SGD(model.parameters(), lr=0.1), xy=(x, y), loss_fn=nn.MSELoss()
    )
    f = kit.one(doc, "nan_loss")
    assert "overflowed" in f.message and f.where == "loss"
    assert f.evidence["last_finite_loss"] >= 100 * doc.losses.start()
    assert f.fix.overrides == {"optimizer.lr": 0.01, "training.grad_clip_norm": 1.0}
