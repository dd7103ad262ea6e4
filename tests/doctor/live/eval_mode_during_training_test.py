import torch
from torch import nn

from trainwise.doctor import Doctor


def _run(kit, *, eval_from=None, bn_only=False, model=None, steps=40):
    model = model or kit.mlp(bn=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x, y = kit.data()
    doc = Doctor(model, opt)
    model.train()
    for t in range(steps):
        if eval_from is not None and t == eval_from:
            if bn_only:
                for m in model.modules():
                    if isinstance(m, nn.BatchNorm1d):
                        m.eval()
            else:
                model.eval()  # a validation pass that is never undone
        xb, yb = x[t * 8 % 480 :][:32], y[t * 8 % 480 :][:32]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        doc.step(loss, inputs=xb, targets=yb)
    model.train()  # what the doctor judges later must be the mode each step ran in
    doc.close()
    return doc


def test_steps_in_eval_mode_after_training_are_an_error(kit):
    f = kit.one(_run(kit, eval_from=12), "eval_mode_during_training")
    assert (f.severity, f.step) == ("error", 12)
    assert f.evidence["was_training_before"] and "model.train()" in f.fix.text


def test_a_run_in_train_mode_is_silent(kit):
    assert "eval_mode_during_training" not in kit.codes(_run(kit))


def test_batchnorm_frozen_on_purpose_is_silent(kit):
    # fine-tuning with BatchNorm in eval mode while the model trains: deliberate
    assert "eval_mode_during_training" not in kit.codes(_run(kit, eval_from=0, bn_only=True))


def test_a_model_without_dropout_or_batchnorm_is_not_judged(kit):
    doc = _run(kit, eval_from=0, model=kit.mlp())
    assert "eval_mode_during_training" not in kit.codes(doc)


def test_three_eval_steps_after_training_suffice_and_two_do_not(kit):
    # a BatchNorm net that loses its batch statistics can blow up within a few steps
    f = kit.one(_run(kit, eval_from=37), "eval_mode_during_training")
    assert (f.step, f.evidence["eval_steps"]) == (37, 3)
    assert "eval_mode_during_training" not in kit.codes(_run(kit, eval_from=38))


def test_a_model_never_in_train_mode_needs_eight_steps(kit):
    model = kit.mlp(bn=True)
    model.eval()  # _run calls model.train() first; eval_from=0 undoes it before any step
    f = kit.one(_run(kit, eval_from=0, model=model), "eval_mode_during_training")
    assert f.severity == "warning" and f.evidence["eval_steps"] == 8
    doc = _run(kit, eval_from=0, model=kit.mlp(bn=True), steps=7)
    assert "eval_mode_during_training" not in kit.codes(doc)
