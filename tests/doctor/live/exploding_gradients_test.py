import torch
from torch import nn

from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.exploding_gradients import ExplodingGradients
from trainwise.doctor.live.loss_track import LossTrack
from trainwise.doctor.probes.layout import ModelLayout
from trainwise.doctor.probes.reading import ProbeReading


def deep(kit, std):
    model = kit.mlp(hidden=[64] * 8)
    for p in model.parameters():
        nn.init.normal_(p, 0, std) if p.ndim > 1 else nn.init.zeros_(p)
    return model


def test_huge_init_and_a_high_lr_fire_before_the_nan(kit):
    model = deep(kit, 1.0)  # He would be ~0.18
    doc = kit.train(model, torch.optim.SGD(model.parameters(), lr=0.01), steps=20)
    f = kit.one(doc, "exploding_gradients")
    nan = kit.one(doc, "nan_loss")
    assert f.step < nan.step <= 3
    assert f.fix.overrides["training.grad_clip_norm"] == 1.0


def test_gradient_growth_right_before_a_nan_is_reported(kit):
    model = deep(kit, 0.5)
    doc = kit.train(model, torch.optim.SGD(model.parameters(), lr=0.1), steps=20)
    f = kit.one(doc, "exploding_gradients")
    assert f.evidence["growth"] >= ExplodingGradients.GROWTH


def test_he_init_deep_net_is_silent(kit):
    model = kit.mlp(hidden=[64] * 8)
    for p in model.parameters():
        nn.init.kaiming_normal_(p) if p.ndim > 1 else nn.init.zeros_(p)
    doc = kit.train(model, torch.optim.SGD(model.parameters(), lr=0.01))
    assert "exploding_gradients" not in kit.codes(doc)


def test_layer_ratio_fires_after_three_probes_with_its_onset():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    layout, track, rule = ModelLayout(model), LossTrack(), ExplodingGradients()
    found = []
    for step in range(6):
        track.add(step, 1.0)
        last = 1e-4 if step >= 2 else 1.0  # the first layer's gradient stays, the last shrinks
        grads = {
            "0.weight": {"norm": 2.0, "rms": 1.0, "status": "ok"},
            "1.weight": {"norm": 2 * last, "rms": last, "status": "ok"},
        }
        probe = ProbeReading(step=step, epoch=0, grads=grads, input_rms=1.0)
        ctx = LiveContext(step=step, epoch=0, loss=1.0, losses=track, layout=layout, probe=probe)
        found += rule.observe(ctx)
    assert [(f.step, f.where, round(f.evidence["first_last_rms_ratio"])) for f in found] == [
        (2, "0", 10000)
    ]
