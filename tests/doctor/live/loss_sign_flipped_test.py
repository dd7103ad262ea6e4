import torch
from torch import nn

from trainwise.doctor import Doctor
from trainwise.doctor.live.loss_sign_flipped import has_log_probability


def _run(kit, loss_of, *, steps=120, lr=1e-2, model=None):
    """A plain loop over shuffled batches; ``loss_of(out, y)`` is the loss minimized."""
    return kit.loop(model or kit.mlp(), loss_of, steps=steps, lr=lr)


def _log_likelihood(out, y):  # the bug: the log-likelihood minimized, not its negative
    return nn.functional.log_softmax(out, 1).gather(1, y[:, None]).mean()


def test_a_minimized_log_likelihood_is_an_error_with_the_negation_fix(kit):
    f = kit.one(_run(kit, _log_likelihood), "loss_sign_flipped")
    assert f.severity == "error"
    assert f.evidence["log_probability_in_graph"] is True
    start, now = f.evidence["start_loss"], f.evidence["loss_now"]
    assert now < -abs(start) and now < start - 1  # far below its start, no floor
    assert "NEGATIVE log-likelihood" in f.fix.text and "-log_prob.mean()" in f.fix.text


def test_the_negated_log_likelihood_is_silent(kit):
    doc = _run(kit, lambda out, y: -_log_likelihood(out, y))
    assert "loss_sign_flipped" not in kit.codes(doc)


def test_a_gaussian_nll_that_settles_below_zero_is_silent(kit):
    # regression with a learned variance: the NLL goes negative and levels off
    x, _ = kit.data()
    target = x[:, :1] * 0.5 + 0.01 * torch.randn(
        len(x), 1, generator=torch.Generator().manual_seed(1)
    )
    model = kit.mlp(classes=2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    doc = Doctor(model, opt)
    doc.check_data(x, target)
    g = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(12):
        for idx in torch.randperm(len(x), generator=g).split(32):
            out = model(x[idx])
            mean, var = out[:, :1], nn.functional.softplus(out[:, 1:]) + 1e-4
            loss = nn.functional.gaussian_nll_loss(mean, target[idx], var)
            opt.zero_grad()
            loss.backward()
            opt.step()
            doc.step(loss, inputs=x[idx], targets=target[idx])
            losses.append(float(loss.detach()))
        doc.epoch_end({"loss": losses[-1]})
    doc.close()
    assert min(losses[-16:]) < 0  # the look-alike: a negative loss
    assert "loss_sign_flipped" not in kit.codes(doc)


def test_a_loss_slightly_below_zero_that_levels_off_is_silent(kit):
    # cross-entropy minus a constant: it settles at about -0.5
    doc = _run(kit, lambda out, y: nn.functional.cross_entropy(out, y) - 0.5, steps=200)
    assert "loss_sign_flipped" not in kit.codes(doc)


def test_the_graph_tells_a_log_probability():
    x = torch.randn(4, 3, requires_grad=True)
    assert has_log_probability(nn.functional.cross_entropy(x, torch.tensor([0, 1, 2, 0])))
    assert has_log_probability(torch.log(torch.softmax(x, 1))[:, 0].mean())
    assert not has_log_probability(torch.log(x.exp()).mean())  # a density's log can be < 0
    assert not has_log_probability((x**2).mean())
    assert has_log_probability(torch.tensor(1.0)) is None
