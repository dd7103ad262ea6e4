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


def scripted(rule, norms, weight=1.0, losses=None, lr=0.01):
    """Feed ``rule`` probes whose two layer weights have gradient norm ``norms[t]`` each and
    weight norm ``weight``; ``losses[t]`` (default 1.0) is the step's loss."""
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    layout, track, found = ModelLayout(model), LossTrack(), []
    for step, g in enumerate(norms):
        loss = 1.0 if losses is None else losses[step]
        track.add(step, loss)
        grads = {w: {"norm": g, "rms": g / 2, "status": "ok"} for w in ("0.weight", "1.weight")}
        ratio = g / weight * lr  # a plain SGD step
        ups = {w: {"update": ratio * weight, "weight": weight, "ratio": ratio} for w in grads}
        probe = ProbeReading(step=step, epoch=0, grads=grads, updates=ups, input_rms=1.0)
        ctx = LiveContext(step=step, epoch=0, loss=loss, losses=track, layout=layout, probe=probe)
        found += rule.observe(ctx)
    return found


def test_gradient_growth_right_before_a_nan_is_reported():
    nan = float("nan")
    found = scripted(ExplodingGradients(), [1, 1, 1, 150, 1], weight=10.0, losses=[1, 1, 1, 1, nan])
    assert [(f.step, round(f.evidence["growth"])) for f in found] == [(3, 150)]


def test_gradients_far_larger_than_the_weights_fire_on_two_probes():
    found = scripted(ExplodingGradients(), [0.5, 300, 400, 500], weight=2.0)
    assert [(f.step, f.evidence["grad_weight_ratio"]) for f in found] == [(1, 200.0)]
    assert scripted(ExplodingGradients(), [0.5, 300, 1, 500], weight=2.0) == []  # not persistent
    # Adam-like steps stay small however large the gradient: nothing blows up
    assert scripted(ExplodingGradients(), [300, 400, 500, 450], weight=2.0, lr=1e-5) == []
    nan = float("nan")  # one probe is enough when the loss turns non-finite right after
    found = scripted(ExplodingGradients(), [300, 1], weight=2.0, losses=[1, nan])
    assert [(f.step, f.evidence["grad_weight_ratio"]) for f in found] == [(0, 150.0)]


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
