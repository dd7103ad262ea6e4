import torch
from torch import nn


def test_deep_sigmoid_net_with_small_init_fires(kit):
    model = kit.mlp(hidden=[32] * 10, act=nn.Sigmoid)
    for p in model.parameters():
        nn.init.normal_(p, 0, 0.1) if p.ndim > 1 else nn.init.zeros_(p)
    doc = kit.train(model, torch.optim.SGD(model.parameters(), lr=0.1), steps=60)
    f = kit.one(doc, "vanishing_gradients")
    assert f.step == 0 and f.where == "0"
    assert f.evidence["first_last_rms_ratio"] < 1e-3
    assert f.fix.overrides["model.activation"] == "relu"  # sigmoid hidden layers seen
    assert "params_not_updating" not in kit.codes(doc)  # too-small updates are not "missing"


def test_deep_relu_net_with_batchnorm_is_silent(kit):
    model = kit.mlp(hidden=[32] * 10, bn=True)
    doc = kit.train(model)
    assert "vanishing_gradients" not in kit.codes(doc)
