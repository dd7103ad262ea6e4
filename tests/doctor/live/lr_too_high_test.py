import torch

from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.loss_track import LossTrack
from trainwise.doctor.live.lr_too_high import LrTooHigh
from trainwise.doctor.probes.layout import ModelLayout


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


def test_diverging_loss_fires_with_the_onset_where_it_doubled(kit):
    model = kit.mlp()
    rule, track = LrTooHigh(), LossTrack()
    losses = [1.0] * 10 + [1.5, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    found = []
    for step, v in enumerate(losses):
        track.add(step, v)
        ctx = LiveContext(
            step=step, epoch=0, loss=v, losses=track, layout=ModelLayout(model), lr=0.1, max_lr=0.1
        )
        found += rule.observe(ctx)
    assert len(found) == 1
    assert found[0].step == 11  # the first loss above 2x the start (1.0)
    assert found[0].evidence["start_loss"] == 1.0


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
