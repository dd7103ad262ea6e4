import torch
from torch import nn

from trainwise.doctor import Doctor


def _loop(model, opt, stepped_opt=None, steps=80, accumulate=1, clear_before_step=False):
    torch.manual_seed(0)
    x, y = torch.randn(256, 8), torch.randint(0, 4, (256,))
    doc = Doctor(model, opt)
    for i in range(steps):
        xb, yb = x[(i * 32) % 256 :][:32], y[(i * 32) % 256 :][:32]
        if accumulate == 1:
            opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        (loss / accumulate).backward()
        if clear_before_step:
            opt.zero_grad()
        if stepped_opt is not None and (i + 1) % accumulate == 0:
            stepped_opt.step()
            if accumulate > 1:
                opt.zero_grad()
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
    assert "params_not_updating" not in kit.codes(doc)
    assert doc.findings[0].code == "optimizer_not_stepping"  # the error ranks first


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


def test_deliberate_gradient_accumulation_is_silent(kit):
    # optimizer.step() every 8 micro-batches, doctor.step after each: the weights change
    # only every 8th call, which is accumulation, not a missing step
    model = kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    doc = _loop(model, opt, stepped_opt=opt, accumulate=8)
    assert "optimizer_not_stepping" not in kit.codes(doc)


def test_a_short_run_without_steps_is_not_judged_before_accumulation_is_ruled_out(kit):
    model = kit.mlp()
    doc = _loop(model, torch.optim.Adam(model.parameters(), lr=1e-3), steps=40)
    assert "optimizer_not_stepping" not in kit.codes(doc)


def test_zero_grad_between_backward_and_step_is_named(kit):
    model = kit.mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    doc = _loop(model, opt, stepped_opt=opt, steps=20, clear_before_step=True)
    f = kit.one(doc, "optimizer_not_stepping")
    assert f.severity == "error" and f.evidence["optimizer_steps"] > 0
    assert "between backward() and step()" in f.fix.text
    assert "params_not_updating" not in kit.codes(doc)


def test_zero_grad_after_the_step_is_a_correct_loop(kit):
    # opt.step(); opt.zero_grad(); doctor.step(): no gradient at doctor.step, weights change
    model = kit.mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(64, 8), torch.randint(0, 4, (64,))
    doc = Doctor(model, opt)
    for _ in range(20):
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        doc.step(loss, inputs=x, targets=y)
    doc.close()
    assert "optimizer_not_stepping" not in kit.codes(doc)
