import torch

from trainwise.doctor.probes.updates import WeightSnapshot


def test_sgd_update_ratio_is_lr_times_grad_over_weight():
    w = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
    snap = WeightSnapshot([("w", w)])
    w.grad = torch.tensor([0.0, 2.0])
    torch.optim.SGD([w], lr=0.1).step()
    got = snap.ratios([("w", w)])["w"]
    assert abs(got["update"] - 0.2) < 1e-6 and got["weight"] == 5.0
    assert abs(got["ratio"] - 0.04) < 1e-6


def test_snapshot_is_a_copy():
    w = torch.nn.Parameter(torch.ones(2))
    snap = WeightSnapshot([("w", w)])
    with torch.no_grad():
        w.add_(1.0)
    assert snap.get("w").tolist() == [1.0, 1.0]
    zero = torch.nn.Parameter(torch.zeros(1))
    assert WeightSnapshot([("z", zero)]).ratios([("z", zero)])["z"]["ratio"] == 0.0
