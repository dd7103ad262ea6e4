import torch
from torch import nn


def test_tanh_with_a_big_init_saturates(kit):
    model = kit.mlp(hidden=[64, 64], act=nn.Tanh)
    for p in model.parameters():
        if p.ndim > 1:
            nn.init.normal_(p, 0, 3.0)
    doc = kit.train(model, steps=40)
    f = kit.one(doc, "saturated_activations")
    assert f.step == 0 and f.where in ("1", "3")
    assert f.evidence["saturated_share"] >= 0.5 and f.evidence["activation"] == "tanh"


def test_tanh_with_default_init_is_silent(kit):
    doc = kit.train(kit.mlp(hidden=[64, 64], act=nn.Tanh))
    assert "saturated_activations" not in kit.codes(doc)


def test_a_confident_sigmoid_output_layer_is_not_a_finding(kit):
    x, y = kit.data(classes=2)
    model = nn.Sequential(nn.Linear(8, 1), nn.Sigmoid())
    with torch.no_grad():  # a perfect, very confident classifier from the start
        model[0].weight.copy_(
            20
            * (
                torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
                @ torch.tensor([-1.0, 1.0])
            ).unsqueeze(0)
        )
    loss_fn = nn.BCELoss()
    doc = kit.train(
        model, xy=(x, y.float().unsqueeze(1)), loss_fn=lambda o, t: loss_fn(o, t), steps=24
    )
    assert "saturated_activations" not in kit.codes(doc)
