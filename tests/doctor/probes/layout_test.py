import torch
from torch import nn

from trainwise.doctor.probes.layout import ModelLayout


def test_trainable_params_weights_and_optimizer_membership():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1))
    model[1].requires_grad_(False)
    opt = torch.optim.SGD(model[0].parameters(), lr=0.1)
    layout = ModelLayout(model, opt)
    assert [n for n, _ in layout.params] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert layout.weights == ["0.weight", "2.weight"]
    assert layout.not_in_optimizer == ["2.weight", "2.bias"]
    assert layout.module_of("2.bias") == "2" and layout.module_of("scale") == ""


def test_forward_order_reorders_the_weights():
    model = nn.ModuleDict({"head": nn.Linear(3, 1), "body": nn.Linear(2, 3)})
    layout = ModelLayout(model)
    assert layout.weights == ["head.weight", "body.weight"]
    layout.set_forward_order(["body", "head"])
    assert layout.weights == ["body.weight", "head.weight"]
