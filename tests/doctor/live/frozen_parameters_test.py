import torch
from torch import nn

from trainwise.doctor.live.frozen_parameters import at_default_init


def _trainable(model):
    return [p for p in model.parameters() if p.requires_grad]


def test_a_frozen_untrained_body_is_a_warning(kit):
    model = kit.mlp(hidden=(64, 64))
    for p in model[:-1].parameters():
        p.requires_grad = False
    doc = kit.train(model, torch.optim.Adam(_trainable(model), lr=1e-3), steps=10)
    f = kit.one(doc, "frozen_parameters")
    assert (f.severity, f.step) == ("warning", 0)
    assert f.evidence["frozen_share"] > 0.9 and f.evidence["at_init"] == ["0.weight", "2.weight"]


def test_a_frozen_output_layer_is_a_warning(kit):
    model = kit.mlp()
    model[-1].requires_grad_(False)
    doc = kit.train(model, torch.optim.Adam(_trainable(model), lr=1e-3), steps=10)
    f = kit.one(doc, "frozen_parameters")
    assert f.where == "4" and f.evidence["output_layer"] == "4"


def test_everything_frozen_is_an_error(kit):
    model = kit.mlp()
    model.requires_grad_(False)
    x, y = kit.data()
    from trainwise.doctor import Doctor

    doc = Doctor(model, None)
    doc.step(nn.functional.cross_entropy(model(x[:32]), y[:32]), inputs=x[:32], targets=y[:32])
    assert kit.one(doc, "frozen_parameters").severity == "error"


def test_a_trained_backbone_with_a_trainable_head_is_fine_tuning_and_silent(kit):
    model = kit.mlp(hidden=(64, 64))
    with torch.no_grad():  # "pretrained": weights no longer a fresh uniform draw
        for layer in model[:-1]:
            if isinstance(layer, nn.Linear):
                layer.weight.normal_(0, 0.3)
    for p in model[:-1].parameters():
        p.requires_grad = False
    doc = kit.train(model, torch.optim.Adam(_trainable(model), lr=1e-3), steps=10)
    assert "frozen_parameters" not in kit.codes(doc)


def test_a_small_frozen_part_and_a_healthy_run_are_silent(kit):
    model = kit.mlp()
    model[0].requires_grad_(False)  # 20% of the values: a frozen embedding, say
    doc = kit.train(model, torch.optim.Adam(_trainable(model), lr=1e-3), steps=10)
    assert "frozen_parameters" not in kit.codes(doc)
    assert "frozen_parameters" not in kit.codes(kit.train(kit.mlp(), steps=10))


def test_default_init_is_told_from_trained_weights():
    assert at_default_init(nn.Conv2d(8, 16, 3).weight)
    assert at_default_init(torch.zeros(16, 16))
    assert not at_default_init(nn.Linear(64, 32).weight * 3)
