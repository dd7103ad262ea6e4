import torch


def test_sgd_at_lr_1e_7_fires_and_suggests_a_bigger_lr(kit):
    model = kit.mlp()
    doc = kit.train(model, torch.optim.SGD(model.parameters(), lr=1e-7), steps=60)
    f = kit.one(doc, "lr_too_low")
    assert f.step == 0
    assert f.evidence["max_update_ratio"] < 3e-5
    assert f.fix.overrides["optimizer.lr"] == 1e-4  # 1000x, the most it suggests at once
    assert kit.codes(doc) == {"lr_too_low"}


def test_adam_at_1e_7_fires(kit):
    model = kit.mlp()
    doc = kit.train(model, torch.optim.Adam(model.parameters(), lr=1e-7), steps=60)
    assert "lr_too_low" in kit.codes(doc)


def test_healthy_sgd_is_silent(kit):
    model = kit.mlp()
    doc = kit.train(model, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    assert "lr_too_low" not in kit.codes(doc)


def test_a_schedule_that_decayed_the_lr_is_not_a_finding(kit):
    model = kit.mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    from trainwise.doctor import Doctor

    x, y = kit.data()
    doc = Doctor(model, opt, total_steps=120)
    for step in range(120):
        if step == 40:  # a finished schedule: the lr drops to 1e-9
            for g in opt.param_groups:
                g["lr"] = 1e-9
        idx = torch.arange(step * 32, step * 32 + 32) % len(x)
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        doc.step(loss, inputs=x[idx], targets=y[idx])
    assert "lr_too_low" not in kit.codes(doc)


def test_adam_with_a_huge_eps_names_the_eps_not_the_lr(kit):
    # eps=1.0 swamps sqrt(v_hat): each step is lr/eps times the gradient, tiny
    model = kit.mlp()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, eps=1.0)
    doc = kit.train(model, opt, steps=60)
    f = kit.one(doc, "lr_too_low")
    assert f.evidence["eps"] == 1.0 and f.fix.overrides == {"optimizer.eps": 1e-8}
    assert "eps" in f.message


def test_adam_with_the_default_eps_at_a_fair_lr_is_silent(kit):
    model = kit.mlp()
    doc = kit.train(model, torch.optim.Adam(model.parameters(), lr=3e-3), steps=60)
    assert "lr_too_low" not in kit.codes(doc)


def _scaled_ce(scale):
    return lambda out, y: torch.nn.functional.cross_entropy(out, y) * scale


def test_a_loss_divided_by_the_batch_size_again_names_the_loss_scale(kit):
    # SGD + momentum on mean cross-entropy / 64: gradients 64x too small, the loss crawls
    model = kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    doc = kit.train(model, opt, loss_fn=_scaled_ce(1 / 64))
    f = kit.one(doc, "lr_too_low")
    assert f.evidence["max_grad_weight_ratio"] < 0.01
    assert f.evidence["max_update_ratio"] >= 3e-5  # the old reading alone missed it
    assert "divided by the batch size" in f.message and "loss is scaled" in f.fix.text


def test_the_same_loss_with_adam_or_unscaled_is_silent(kit):
    model = kit.mlp()
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)  # scale-free: its steps stay ~lr
    assert "lr_too_low" not in kit.codes(kit.train(model, adam, loss_fn=_scaled_ce(1 / 64)))
    model = kit.mlp()
    sgd = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    assert "lr_too_low" not in kit.codes(kit.train(model, sgd, loss_fn=_scaled_ce(1.0)))


def test_slow_plain_sgd_with_healthy_gradients_is_not_blamed_on_the_loss(kit):
    # plain SGD at a small LR: small steps, but the gradients are of a normal size
    model = kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.003)
    doc = kit.train(model, opt)
    assert all("divided by the batch size" not in f.message for f in doc.findings)


def _lambda_lr(kit, factor):
    model = kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    # LambdaLR multiplies the optimizer's lr by what the lambda returns, from step 0 on
    torch.optim.lr_scheduler.LambdaLR(opt, lambda e: factor)
    return kit.train(model, opt, steps=80)


def test_a_lambda_returning_an_lr_instead_of_a_factor_names_the_schedule(kit):
    doc = _lambda_lr(kit, 0.05 * 0.02)  # base_lr * factor: the LR is 5e-5, not 1e-3
    f = kit.one(doc, "lr_too_low")
    assert f.evidence["configured_lr"] == 0.05
    assert f.evidence["max_lr"] < 0.05 * 0.05
    assert "multiplier of the base LR" in f.fix.text and not f.fix.overrides
    assert kit.codes(doc) == {"lr_too_low"}


def test_a_lambda_returning_a_factor_is_silent(kit):
    assert "lr_too_low" not in kit.codes(_lambda_lr(kit, 1.0))


def test_a_warmup_rising_from_far_below_initial_lr_is_not_held_by_the_schedule(kit):
    from trainwise.doctor import Doctor

    model = kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, 1e-3 * 1.1**s))
    x, y = kit.data()
    doc = Doctor(model, opt, total_steps=80)
    for step in range(80):
        idx = torch.arange(step * 32, step * 32 + 32) % len(x)
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        doc.step(loss, inputs=x[idx], targets=y[idx])
    doc.close()
    assert not [f for f in doc.findings if "configured_lr" in f.evidence]
