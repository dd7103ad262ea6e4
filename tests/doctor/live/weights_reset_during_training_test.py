import pytest
import torch
from torch import nn

from trainwise.doctor import Doctor
from trainwise.doctor.live.weights_reset_during_training import reaches


def _init(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)


def _run(kit, *, epoch_start=None, lr=0.05, sched=None, epochs=6, model=None, steps=16):
    """A plain loop of ``epochs`` x ``steps`` SGD steps; ``epoch_start(epoch, model, opt)`` runs
    at the top of each epoch and may return a new (model, optimizer) pair."""
    x, y = kit.data()
    model = model or kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = sched(opt) if sched else None
    doc = Doctor(model, opt)
    doc.check_data(x, y)
    for epoch in range(epochs):
        if epoch_start is not None:
            model, opt = epoch_start(epoch, model, opt) or (model, opt)
        for i in range(steps):
            xb, yb = x[i * 32 :][:32], y[i * 32 :][:32]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            if scheduler is not None:
                scheduler.step()
            doc.step(loss, inputs=xb, targets=yb)
        doc.epoch_end({"loss": float(loss.detach())})
    doc.close()
    return doc


def test_weights_initialized_every_epoch_are_named_with_the_init_once_fix(kit):
    doc = _run(kit, epoch_start=lambda epoch, model, opt: model.apply(_init) and None)
    f = kit.one(doc, "weights_reset_during_training")
    assert (f.severity, f.epoch, f.step) == ("error", 1, 16)
    first = f.evidence["boundaries"][0]
    assert first["layers"] and min(first["layers"].values()) >= 0.5
    assert "once, before the epoch loop" in f.fix.text
    # the flat curve and the steps that look huge are its consequences
    assert not {"loss_not_decreasing", "underfitting", "lr_too_high"} & kit.codes(doc)


def test_one_reset_is_not_enough(kit):
    def once(epoch, model, opt):
        if epoch == 3:
            model.apply(_init)

    assert "weights_reset_during_training" not in kit.codes(_run(kit, epoch_start=once))


@pytest.mark.parametrize("new_optimizer", [True, False])
def test_a_model_rebuilt_every_epoch_is_named_too(kit, new_optimizer):
    # model = Net() inside the loop: not the watched object, whose weights then stand still
    # (no other code fires: without this rule the doctor watched a model no longer trained);
    # with the old optimizer kept, the new model does not even train
    def rebuild(epoch, model, opt):
        if epoch == 0:
            return None
        new = kit.mlp(seed=epoch)
        if not new_optimizer:
            return new, opt
        return new, torch.optim.SGD(new.parameters(), lr=0.05, momentum=0.9)

    f = kit.one(_run(kit, epoch_start=rebuild), "weights_reset_during_training")
    assert f.where == "model" and f.evidence["boundaries"][0]["recreated"]
    assert "re-created" in f.message


def test_healthy_runs_stay_silent(kit):
    assert "weights_reset_during_training" not in kit.codes(_run(kit))

    # warm restarts: the LR jumps back up every epoch, the weights do not
    def restarts(opt):
        return torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=16)

    doc = _run(kit, sched=restarts, lr=0.2)
    assert "weights_reset_during_training" not in kit.codes(doc)


def test_pretrained_weights_loaded_once_before_the_loop_are_silent(kit):
    pretrained = _run(kit, epochs=3).model.state_dict()
    model = kit.mlp()

    def load_once(epoch, m, opt):  # fine-tuning: loaded at the start, after Doctor()
        if epoch == 0:
            m.load_state_dict(pretrained)

    doc = _run(kit, epoch_start=load_once, model=model, lr=0.01)
    assert "weights_reset_during_training" not in kit.codes(doc)


def test_reaches_stops_at_the_watched_parameters():
    w, v = nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(2))
    loss = (w * v).sum()
    assert reaches(loss, {id(w)}) and not reaches(loss, {123})
    assert reaches(torch.tensor(1.0), {id(w)}) is None


def test_a_diverging_run_is_no_reset(kit):
    # a summed loss with momentum: between epochs of 2 steps the weights blow up, a jump no
    # probed step explains, but to no initial size and with a loss far above its start
    x, y = kit.data(n=128)
    model = kit.mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    doc = Doctor(model, opt)
    for _ in range(30):
        for i in range(2):
            xb, yb = x[i * 64 :][:64], y[i * 64 :][:64]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb, reduction="sum")
            loss.backward()
            opt.step()
            doc.step(loss, inputs=xb, targets=yb)
        doc.epoch_end({"loss": float(loss.detach())})
    doc.close()
    assert "weights_reset_during_training" not in kit.codes(doc)
    assert "lr_too_high" in kit.codes(doc)
