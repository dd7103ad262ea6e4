import torch
from torch import nn

from trainwise.doctor.live.loss_track import LossTrack
from trainwise.doctor.live.nan_source import keep_pre_update, locate
from trainwise.doctor.probes import ModelLayout


class Log(nn.Module):
    def forward(self, x):
        return torch.log(x)


def _setup(model, losses=(1.0, 0.9, 0.8)):
    track = LossTrack()
    for t, v in enumerate(losses):
        track.add(t, v)
    return model, ModelLayout(model, None), track


def test_nothing_to_replay_without_inputs():
    model, layout, losses = _setup(nn.Linear(3, 2))
    assert locate(model, layout, losses, None, None, None, None) is None


def test_non_finite_inputs_name_their_count_and_first_sample():
    model, layout, losses = _setup(nn.Linear(3, 2))
    x = torch.ones(4, 3)
    x[2, 1] = float("nan")
    x[3, 0] = float("inf")
    got = locate(model, layout, losses, None, x, None, None)
    assert got == {"source": "inputs", "bad_values": 2, "first_sample": 2}
    nested = {"a": torch.tensor([float("nan")])}  # no batch axis to point into
    got = locate(model, layout, losses, None, nested, None, None)
    assert got == {"source": "inputs", "bad_values": None, "first_sample": None}


def test_finite_outputs_blame_the_loss_function():
    model, layout, losses = _setup(nn.Linear(3, 2))
    x = torch.ones(4, 3)
    assert locate(model, layout, losses, None, x, model(x), None) == {"source": "loss"}


def test_a_module_whose_output_goes_non_finite_is_named():
    model, layout, losses = _setup(nn.Sequential(Log(), nn.Linear(3, 2)))
    x = -torch.ones(4, 3)  # finite inputs; the log makes the NaN
    got = locate(model, layout, losses, None, x, None, None)
    assert (got["source"], got["module"], got["module_type"]) == ("module", "0", "Log")
    assert got["replayed_with"] == "current weights"


def test_weights_already_non_finite_before_the_update_are_named():
    model, layout, losses = _setup(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))
    with torch.no_grad():
        model[2].weight[0, 0] = float("nan")
    pre = {"params": keep_pre_update(layout)}
    got = locate(model, layout, losses, None, torch.ones(4, 3), None, pre)
    assert got == {"source": "params", "module": "2", "params_nonfinite": ["2.weight"]}


def test_a_replay_that_stays_finite_means_the_weights_diverged():
    model, layout, losses = _setup(nn.Linear(3, 2))
    pre = {"params": keep_pre_update(layout)}  # finite weights before the failing update
    with torch.no_grad():
        model.weight.fill_(float("inf"))
    assert locate(model, layout, losses, None, torch.ones(4, 3), None, pre) == {
        "source": "diverged"
    }


def test_keep_pre_update_copies_rather_than_aliases():
    model, layout, _ = _setup(nn.Linear(3, 2))
    kept = keep_pre_update(layout)
    with torch.no_grad():
        model.weight.zero_()
    assert kept["weight"].abs().sum() > 0
