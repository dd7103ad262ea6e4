import torch
from torch import nn

from trainwise.doctor.probes.layout import ModelLayout
from trainwise.doctor.probes.prober import Prober


def test_arm_then_collect_reads_the_step_and_removes_the_hooks():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    prober = Prober(model, ModelLayout(model, opt))
    prober.arm(5)
    x = torch.randn(6, 3)
    out = model(x)
    out.sum().backward()
    opt.step()
    reading = prober.collect(5, 1, inputs=x, outputs=out)
    assert reading.step == 5 and reading.epoch == 1
    assert set(reading.grads) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert reading.updates["2.bias"]["update"] > 0
    assert set(reading.activations) == {"1"} and reading.input_rms is not None
    assert not any(m._forward_hooks for m in model.modules())
    assert prober.armed_step is None


def test_collect_for_an_unarmed_step_is_none():
    model = nn.Linear(2, 2)
    prober = Prober(model, ModelLayout(model))
    prober.arm(3)
    assert prober.collect(4, 0) is None
    assert not model._forward_hooks


def test_the_model_is_walked_once_for_all_probes(monkeypatch):
    import trainwise.doctor.probes.prober as prober_module

    walks = []
    real = prober_module.leaf_modules
    monkeypatch.setattr(prober_module, "leaf_modules", lambda m: walks.append(m) or real(m))
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    prober = Prober(model, ModelLayout(model))
    for step in range(3):
        prober.arm(step)
        model(torch.randn(5, 3)).sum().backward()
        assert set(prober.collect(step, 0).activations) == {"1"}
    assert len(walks) == 1
