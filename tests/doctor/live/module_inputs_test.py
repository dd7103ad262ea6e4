import torch
from torch import nn

from trainwise.doctor.live.module_inputs import ModuleInputs, watched_modules


def test_records_the_input_shape_of_batchnorm_and_rnn_layers_once_per_forward(one_thread):
    model = nn.Sequential(nn.BatchNorm1d(3), nn.Linear(3, 3))
    seen = ModuleInputs(model).attach()
    model(torch.randn(5, 3))
    model(torch.randn(7, 3))  # a second call keeps the first
    seen.detach()
    assert seen.shapes["0"] == {
        "kind": "batchnorm",
        "type": "BatchNorm1d",
        "shape": (5, 3),
        "training": True,
        "batch_first": False,
    }


def test_hooks_come_off(one_thread):
    model = nn.Sequential(nn.BatchNorm1d(3))
    seen = ModuleInputs(model).attach()
    seen.detach()
    model(torch.randn(4, 3))
    assert seen.shapes == {} and not model[0]._forward_pre_hooks


def test_only_batchnorm_and_recurrent_modules_are_watched():
    model = nn.Sequential(nn.LayerNorm(3), nn.GRU(3, 3), nn.BatchNorm2d(3))
    assert [(n, k) for n, _, k in watched_modules(model)] == [("1", "rnn"), ("2", "batchnorm")]
