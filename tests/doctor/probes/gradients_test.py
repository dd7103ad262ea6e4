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
