import torch

from trainwise.doctor.live.adam_eps import eps_domination


def _adam(eps, grad=0.01):
    w = torch.nn.Parameter(torch.ones(16))
    opt = torch.optim.Adam([w], lr=1e-3, eps=eps)
    for _ in range(3):
        w.grad = torch.full((16,), grad)
        opt.step()
    return opt, [("w", w)]


def test_an_eps_far_above_the_gradient_scale_dominates():
    found = eps_domination(*_adam(1.0))
    assert found["eps"] == 1.0 and abs(found["grad_rms"] - 0.01) < 1e-4
    assert found["optimizer"] == "Adam"


def test_the_default_eps_does_not():
    assert eps_domination(*_adam(1e-8)) is None


def test_optimizers_without_adam_state_are_not_judged():
    w = torch.nn.Parameter(torch.ones(4))
    opt = torch.optim.SGD([w], lr=0.1)
    w.grad = torch.ones(4)
    opt.step()
    assert eps_domination(opt, [("w", w)]) is None and eps_domination(None, []) is None
