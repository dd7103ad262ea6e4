import torch
from torch import nn

from trainwise.doctor import Finding, Fix


def test_the_first_steps_outputs_go_to_the_preflight_check_once(kit, monkeypatch):
    calls = []

    def check_outputs(outputs, loss_fn, task, targets=None):
        calls.append((outputs.shape, task, targets.shape))
        if bool((outputs >= 0).all()) and torch.allclose(outputs.sum(1), torch.ones(1)):
            return [Finding("loss_output_mismatch", "error", "softmax into CE", Fix("drop it"))]
        return []

    monkeypatch.setattr("trainwise.doctor.live.loss_output_mismatch.check_outputs", check_outputs)
    model = nn.Sequential(kit.mlp(), nn.Softmax(dim=1))
    doc = kit.train(model, steps=10, task="classification")
    f = kit.one(doc, "loss_output_mismatch")
    assert (f.step, f.epoch) == (0, 0)  # the live onset is filled in
    assert calls == [(torch.Size([32, 4]), "classification", torch.Size([32]))]


def test_logits_into_cross_entropy_are_silent(kit, monkeypatch):
    monkeypatch.setattr(
        "trainwise.doctor.live.loss_output_mismatch.check_outputs",
        lambda outputs, loss_fn, task, targets=None: (
            [Finding("loss_output_mismatch", "error", "x", Fix("y"))]
            if bool((outputs >= 0).all())
            else []
        ),
    )
    doc = kit.train(kit.mlp(), steps=10, task="classification")
    assert "loss_output_mismatch" not in kit.codes(doc)
