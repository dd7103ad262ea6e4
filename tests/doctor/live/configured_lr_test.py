import torch

from trainwise.doctor.live.configured_lr import configured_lr, cyclic_schedule


def _opt(lr=0.05, momentum=0.0):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=lr, momentum=momentum)


def test_the_constructor_lr_without_a_scheduler():
    opt = _opt()
    opt.param_groups[0]["lr"] = 0.3  # set by hand in the loop: the written value still counts
    assert configured_lr(opt) == (0.05, "the optimizer's lr")


def test_a_schedulers_initial_lr_and_a_one_cycle_peak():
    opt = _opt()
    torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / 10)
    assert opt.param_groups[0]["lr"] == 0.0 and configured_lr(opt) == (0.05, "initial_lr")
    opt = _opt(momentum=0.9)
    torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=100)
    assert configured_lr(opt) == (1.0, "max_lr") and cyclic_schedule(opt)


def test_nothing_usable_is_none():
    assert configured_lr(None) is None and not cyclic_schedule(None)
    assert configured_lr(_opt(lr=0.0)) is None


def test_cyclic_lr_is_recognised_by_its_momentum_cycle():
    opt = _opt(momentum=0.9)
    assert not cyclic_schedule(opt)
    torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1)
    assert cyclic_schedule(opt)
