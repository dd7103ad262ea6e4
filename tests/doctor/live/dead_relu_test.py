import torch
from torch import nn

from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.dead_relu import DeadRelu
from trainwise.doctor.live.loss_track import LossTrack
from trainwise.doctor.probes.layout import ModelLayout
from trainwise.doctor.probes.reading import ProbeReading


def test_big_negative_bias_kills_the_units(kit):
    model = kit.mlp(hidden=[64, 64])
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.bias, -5.0)
    doc = kit.train(model, steps=40)
    f = kit.one(doc, "dead_relu")
    assert (f.step, f.where) == (0, "1")  # the first ReLU, at the first probe
    assert f.evidence["dead_share"] == 1.0 and f.evidence["units"] == 64
    assert f.fix.overrides["model.activation"] == "leaky_relu"
    assert "params_not_updating" not in kit.codes(doc)  # zero gradients are the dead units


def test_healthy_relu_net_is_silent(kit):
    doc = kit.train(kit.mlp(hidden=[64, 64]))
    assert "dead_relu" not in kit.codes(doc)


def observe(masks):
    """Feed the rule one probe per alive-mask of an 8-unit ReLU layer named "1"."""
    layout, track, rule = ModelLayout(nn.Linear(1, 1)), LossTrack(), DeadRelu()
    found = []
    for step, alive in enumerate(masks):
        track.add(step, 1.0)
        alive = torch.tensor(alive, dtype=torch.bool)
        stats = {
            "kind": "relu",
            "units": 8,
            "dead": 1 - alive.float().mean().item(),
            "output_layer": False,
        }
        probe = ProbeReading(step=step, epoch=0, activations={"1": stats}, alive={"1": alive})
        ctx = LiveContext(step=step, epoch=0, loss=1.0, losses=track, layout=layout, probe=probe)
        found += rule.observe(ctx)
    return found


def test_units_silent_in_one_batch_but_active_in_another_are_alive():
    half = [1, 1, 1, 1, 0, 0, 0, 0]
    other = [0, 0, 0, 0, 1, 1, 1, 1]
    assert observe([half, other, half, other]) == []


def test_the_same_units_dead_in_three_probes_fire_with_the_first_onset():
    mostly_dead = [1, 1, 0, 0, 0, 0, 0, 0]
    found = observe([[1] * 8, mostly_dead, mostly_dead, mostly_dead])
    assert [(f.step, f.evidence["dead_share"]) for f in found] == [(1, 0.75)]
