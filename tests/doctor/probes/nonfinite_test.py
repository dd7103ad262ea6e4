import torch
from torch import nn

from trainwise.doctor.probes.nonfinite import all_finite, replay_forward


class Sqrt(nn.Module):
    def forward(self, x):
        return torch.sqrt(x)


class FunctionalLog(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2)
        self.b = nn.Linear(2, 2)

    def forward(self, x):
        return self.b(torch.log(self.a(x)))


def test_names_the_first_module_whose_output_goes_nonfinite():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), Sqrt(), nn.Linear(2, 1))
    with torch.no_grad():
        model[0].weight.copy_(-torch.eye(2))
    got = replay_forward(model, torch.ones(3, 2))
    assert got == {"module": "2", "culprit": "output", "finite": False}


def test_a_functional_op_in_a_parent_forward_names_the_parent():
    model = nn.Sequential(nn.Identity(), FunctionalLog())
    with torch.no_grad():
        model[1].a.weight.copy_(-torch.eye(2))
        model[1].a.bias.zero_()
    got = replay_forward(model, torch.ones(3, 2))
    assert got["module"] == "1" and got["culprit"] == "input"


def test_replay_leaves_rng_and_buffers_untouched():
    model = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Dropout(0.5), nn.Linear(4, 1))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(3)
    replay_forward(model, torch.randn(8, 2))
    after_replay = torch.rand(3)
    torch.manual_seed(3)
    torch.randn(8, 2)
    assert torch.equal(after_replay, torch.rand(3))  # no extra draws
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not any(m._forward_hooks for m in model.modules())


def test_replay_with_given_parameters():
    model = nn.Sequential(nn.Linear(1, 1))
    with torch.no_grad():
        model[0].weight.fill_(float("nan"))
    good = {"0.weight": torch.ones(1, 1), "0.bias": torch.zeros(1)}
    assert replay_forward(model, torch.ones(2, 1), good)["finite"]
    assert not replay_forward(model, torch.ones(2, 1))["finite"]
    assert all_finite([torch.ones(1), {"a": torch.ones(2)}])
