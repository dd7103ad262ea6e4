import torch
from torch import nn

from trainwise.doctor.probes.activations import (
    ActivationProbe,
    activation_kind,
    leaf_modules,
    relu_alive,
    saturated_mask,
)


def test_dead_units_are_zero_for_every_sample_and_position():
    model = nn.Sequential(nn.Conv1d(1, 3, 1, bias=False), nn.ReLU())
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([1.0, -1.0, 0.0]).view(3, 1, 1))
    x = torch.tensor([[[1.0, -2.0]], [[3.0, 4.0]]])  # channel 1 fires only at x=-2
    probe = ActivationProbe(model).attach()
    model(x).sum()
    probe.detach()
    assert probe.alive["1"].tolist() == [True, True, False]
    stats = probe.stats()["1"]
    assert stats["units"] == 3 and abs(stats["dead"] - 1 / 3) < 1e-6


def test_saturated_share_and_the_output_layer():
    model = nn.Sequential(nn.Linear(1, 2), nn.Tanh(), nn.Linear(2, 1), nn.Sigmoid())
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[10.0], [0.1]]))
        model[0].bias.zero_()
    probe = ActivationProbe(model).attach()
    model(torch.tensor([[1.0], [2.0]]))
    probe.detach()
    stats = probe.stats()
    assert stats["1"]["saturated"] == 0.5  # unit 0 pinned at 1, unit 1 in the linear part
    assert not stats["1"]["output_layer"] and stats["3"]["output_layer"]
    assert probe.order == ["0", "1", "2", "3"]


def test_hooks_skip_forwards_without_grad_and_come_off():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    probe = ActivationProbe(model).attach()
    with torch.no_grad():
        model(torch.randn(4, 2))
    assert probe.order == []
    probe.detach()
    model(torch.randn(4, 2))
    assert probe.order == [] and not model[1]._forward_hooks


def test_kinds_and_mask():
    assert [activation_kind(m) for m in (nn.ReLU(), nn.Tanh(), nn.GELU())] == ["relu", "tanh", None]
    y = torch.tanh(torch.tensor([0.0, 2.0, 4.0]))
    assert saturated_mask(y, "tanh").tolist() == [False, False, True]


def test_relu_alive_is_any_positive_value_per_unit_nan_and_inf_included():
    torch.manual_seed(0)
    for shape in [(7,), (5, 9), (4, 6, 3), (3, 5, 4, 4)]:
        for trial in range(20):
            y = torch.relu(torch.randn(shape) - 1.0)
            y[torch.rand(shape) < 0.1 * (trial % 2)] = float("nan")
            y[torch.rand(shape) < 0.05 * (trial % 3 == 0)] = float("inf")
            for t in (y, y.half()):
                # the definition: some value > 0 for the unit (dim 1), over every other dim
                units = t.transpose(0, 1).reshape(t.shape[1], -1) if t.ndim > 1 else t
                want = (units > 0).any(dim=-1) if t.ndim > 1 else units > 0
                assert torch.equal(relu_alive(t), want)


def _net():
    torch.manual_seed(3)
    return nn.Sequential(
        nn.Conv1d(1, 6, 3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 5), nn.Tanh(),
        nn.Linear(5, 4), nn.ReLU6(), nn.Linear(4, 1), nn.Sigmoid(),
    )  # fmt: skip


def test_stats_are_the_per_layer_shares_read_in_one_go():
    model = _net()
    probe = ActivationProbe(model).attach()
    for _ in range(2):  # two forwards: the saturated shares are averaged, the masks or-ed
        model(torch.randn(8, 1, 4) * 3)
    probe.detach()
    got = probe.stats()
    assert list(got) == ["1", "4", "6", "8"]
    for name in ("1", "6"):  # what stats() computed layer by layer before
        a = probe.alive[name]
        want = {"kind": "relu", "units": a.numel(), "dead": 1.0 - float(a.float().mean())}
        assert got[name] == {**want, "output_layer": False}
    for name, kind in (("4", "tanh"), ("8", "sigmoid")):
        want = float(torch.stack(probe._sat[name]).mean())
        assert got[name] == {"kind": kind, "saturated": want, "output_layer": name == "8"}


def test_a_probe_given_the_leaves_reads_what_a_probe_walking_the_model_reads():
    model = _net()
    leaves = leaf_modules(model)
    assert [(n, k, p) for n, _, k, p in leaves][:3] == [
        ("0", None, True), ("1", "relu", False), ("2", None, False),
    ]  # fmt: skip
    x = torch.randn(8, 1, 4)
    first = ActivationProbe(model).attach()
    model(x)
    first.detach()
    for known in (None, first.order):
        walked, given = (
            ActivationProbe(model, known).attach(),
            ActivationProbe(model, known, leaves),
        )
        given.attach()
        model(x)
        walked.detach()
        given.detach()
        assert given.stats() == walked.stats() and given.order == walked.order
        assert len(given.handles) == 0 and not any(m._forward_hooks for m in model.modules())
