import torch

from trainwise.doctor.probes.gradients import grad_stats


def test_norms_rms_and_status():
    a = torch.nn.Parameter(torch.zeros(4))
    a.grad = torch.tensor([3.0, 4.0, 0.0, 0.0])
    b = torch.nn.Parameter(torch.zeros(2))
    c = torch.nn.Parameter(torch.zeros(2))
    c.grad = torch.zeros(2)
    got = grad_stats([("a", a), ("b", b), ("c", c)])
    assert got["a"] == {"norm": 5.0, "rms": 2.5, "status": "ok"}
    assert got["b"]["status"] == "none" and got["c"]["status"] == "zero"


def test_same_numbers_as_one_norm_per_gradient():
    # the norms now come from one foreach call: equal to the per-tensor loop they replaced
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Conv1d(1, 4, 3), torch.nn.Flatten(), torch.nn.Linear(8, 3))
    model(torch.randn(5, 1, 4)).pow(2).sum().backward()
    model[0].bias.grad = None
    params = list(model.named_parameters())
    got = grad_stats(params)
    for name, p in params:
        if p.grad is None:
            assert got[name]["status"] == "none"
            continue
        want = float(torch.linalg.vector_norm(p.grad.float()))
        assert got[name]["norm"] == want and got[name]["rms"] == want / p.grad.numel() ** 0.5
