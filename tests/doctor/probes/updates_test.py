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


def _loop_ratios(snap, params):
    # the reading before it took the differences and norms in foreach calls
    out = {}
    for n, p in params:
        old = snap.get(n)
        if old is None or old.shape != p.shape:
            continue
        u = float(torch.linalg.vector_norm((p.detach() - old).float()))
        w = float(torch.linalg.vector_norm(old.float()))
        out[n] = {
            "update": u,
            "weight": w,
            "ratio": u / w if w > 0 else (0.0 if u == 0 else float("inf")),
        }
    return out


def test_same_numbers_as_one_norm_per_parameter():
    torch.manual_seed(2)
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    with torch.no_grad():
        model[2].bias.zero_()
    params = list(model.named_parameters())
    snap = WeightSnapshot(params)
    model(torch.randn(7, 3)).sum().backward()
    model[2].bias.grad = None  # a zero weight that does not move: ratio 0
    torch.optim.Adam([p for n, p in params if n != "2.bias"], lr=0.01).step()
    params.append(("extra", torch.nn.Parameter(torch.ones(2))))  # not in the snapshot
    assert snap.ratios(params) == _loop_ratios(snap, params)
    assert snap.ratios(params)["2.bias"]["ratio"] == 0.0 and "extra" not in snap.ratios(params)
