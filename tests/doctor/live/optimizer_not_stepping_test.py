import torch
from torch import nn

from trainwise.doctor import Doctor


def _loop(model, opt, stepped_opt=None, steps=20):
    torch.manual_seed(0)
    x, y = torch.randn(256, 8), torch.randint(0, 4, (256,))
    doc = Doctor(model, opt)
    for i in range(steps):
        xb, yb = x[(i * 32) % 256 :][:32], y[(i * 32) % 256 :][:32]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        if stepped_opt is not None:
            stepped_opt.step()
        doc.step(loss, inputs=xb, targets=yb)
    doc.close()
    return doc


def test_a_loop_that_never_steps_the_optimizer_is_an_error(kit):
    model = kit.mlp()
    doc = _loop(model, torch.optim.Adam(model.parameters(), lr=1e-3))
    f = kit.one(doc, "optimizer_not_stepping")
    assert (f.severity, f.step) == ("error", 0)
    assert f.evidence["optimizer_steps"] == 0 and f.evidence["grad_norm"] > 0
    assert "optimizer.step()" in f.fix.text
    assert not {"params_not_updating", "loss_not_decreasing"} & kit.codes(doc)


def test_a_stepping_optimizer_is_silent(kit):
    model = kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    assert "optimizer_not_stepping" not in kit.codes(_loop(model, opt, stepped_opt=opt))


def test_an_lr_of_zero_steps_but_does_not_say_not_stepping(kit):
    model = kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    assert "optimizer_not_stepping" not in kit.codes(_loop(model, opt, stepped_opt=opt))


def test_the_hook_comes_off_at_close(kit):
    model = kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    _loop(model, opt, stepped_opt=opt, steps=2)
    assert not opt._optimizer_step_post_hooks
