import torch

from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.loss_track import LossTrack
from trainwise.doctor.live.lr_too_high import LrTooHigh
from trainwise.doctor.probes.layout import ModelLayout
from trainwise.doctor.probes.reading import ProbeReading


def test_sgd_at_lr_5_fires_early_and_suggests_a_tenth(kit):
    model = kit.mlp()
    doc = kit.train(model, torch.optim.SGD(model.parameters(), lr=5.0))
    f = kit.one(doc, "lr_too_high")
    assert f.step <= 10  # judged once 10 losses are in (MIN_LOSSES)
    assert f.fix.overrides == {"optimizer.lr": 0.5}
    assert f.evidence["update_ratio"] >= 0.1
    assert "dead_relu" not in kit.codes(doc)  # the dead units are its consequence


def test_adam_at_1e_3_is_silent(kit):
    doc = kit.train(kit.mlp(), steps=200)
    assert "lr_too_high" not in kit.codes(doc)


def _diverge(model, losses, ratio=None, lr=0.1):
    """Feed ``losses`` to a fresh rule, with one probe at step 0 whose layer weights move by
    ``ratio`` of their size (no probe when None); return its findings."""
    rule, track, layout = LrTooHigh(), LossTrack(), ModelLayout(model)
    found = []
    for step, v in enumerate(losses):
        track.add(step, v)
        probe = None
        if step == 0 and ratio is not None:
            ups = {w: {"update": ratio, "weight": 1.0, "ratio": ratio} for w in layout.weights}
            probe = ProbeReading(step=0, epoch=0, updates=ups)
        ctx = LiveContext(
            step=step, epoch=0, loss=v, losses=track, layout=layout, lr=lr, max_lr=lr, probe=probe
        )
        found += rule.observe(ctx)
    return found


RISE = [1.0] * 10 + [1.5, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]


def test_diverging_loss_with_large_steps_fires_with_the_onset_where_it_doubled(kit):
    found = _diverge(kit.mlp(), RISE, ratio=0.05)
    assert len(found) == 1
    assert found[0].step == 11  # the first loss above 2x the start (1.0)
    assert found[0].evidence["start_loss"] == 1.0


def test_a_moderate_rise_with_small_steps_is_not_a_too_high_lr(kit):
    # a heavily weighted loss (BCE with pos_weight ~19) rises 2-3x while the model leaves its
    # start at Adam lr 3e-4: the steps are healthy, so the loss alone does not convict the LR
    assert _diverge(kit.mlp(), RISE, ratio=2e-3) == []
    assert _diverge(kit.mlp(), RISE) == []  # no probe yet: it waits for one


def test_a_warmup_that_raised_the_lr_since_the_probe_counts_the_steps_as_large(kit):
    # probed at ratio 2e-3 under lr 0.1; the LR is now 10x that, so the steps are ~2e-2
    rule, track, layout = LrTooHigh(), LossTrack(), ModelLayout(kit.mlp())
    ups = {w: {"update": 2e-3, "weight": 1.0, "ratio": 2e-3} for w in layout.weights}
    found = []
    for step, v in enumerate(RISE):
        track.add(step, v)
        probe = ProbeReading(step=0, epoch=0, updates=ups) if step == 0 else None
        lr = 0.1 if step == 0 else 1.0
        ctx = LiveContext(
            step=step, epoch=0, loss=v, losses=track, layout=layout, lr=lr, max_lr=lr, probe=probe
        )
        found += rule.observe(ctx)
    assert len(found) == 1


def test_a_blowup_past_10x_fires_without_a_probe(kit):
    found = _diverge(kit.mlp(), [1.0] * 10 + [20.0] * 10)
    assert len(found) == 1 and found[0].evidence["recent_loss"] >= 10.0  # 10x the start


def test_coupled_weight_decay_pinning_the_weights_is_not_a_too_high_lr(kit):
    # weight_decay=0.5 holds the weights small: big relative steps, loss at chance; the
    # doctor reads the decay from the param groups and leaves it to over_regularized
    model = kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=0.5)
    doc = kit.train(model, opt, steps=120, regularization=None)
    assert "lr_too_high" not in kit.codes(doc)


def test_a_batchnorm_net_that_settles_its_own_large_steps_is_silent(kit):
    # SGD lr 0.5 + momentum: every layer moves 0.1-0.5 of its size at first, the loss is
    # level for ~10 steps, then the normalized weights grow, the steps shrink and it learns
    # (judged on 10 losses, as before normalized nets waited for 30, this run was flagged)
    model = kit.mlp(classes=8, hidden=(128,) * 6, bn=True, seed=1)
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    doc = kit.train(model, opt, steps=120, xy=kit.data(classes=8, seed=1), seed=1)
    assert "lr_too_high" not in kit.codes(doc)


def test_a_batchnorm_net_whose_loss_climbs_fires_early(kit):
    model = kit.mlp(hidden=(64,) * 5, bn=True)
    doc = kit.train(model, torch.optim.SGD(model.parameters(), lr=5.0, momentum=0.9), steps=120)
    f = kit.one(doc, "lr_too_high")
    assert f.step <= 10 and "dead_relu" not in kit.codes(doc)


def test_coupled_decay_on_weights_the_steps_blew_up_is_still_a_too_high_lr(kit):
    # Adam at lr 1 with coupled weight decay 0.05: the decay term dominates the gradient of
    # weights that grew far past their start; the penalty holds nothing small, the LR is the fault
    model = kit.mlp(hidden=(64,) * 3, bn=True)
    opt = torch.optim.Adam(model.parameters(), lr=1.0, weight_decay=0.05)
    doc = kit.train(model, opt, steps=120, regularization=None)
    assert "lr_too_high" in kit.codes(doc)
