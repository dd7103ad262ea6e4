import torch

from trainwise.doctor.probes.reading import ProbeReading, input_rms, output_spread


def test_layer_ratio_uses_first_and_last_weight_with_a_gradient():
    r = ProbeReading(step=0, epoch=0, grads={
        "a": {"norm": 1.0, "rms": 0.01, "status": "ok"},
        "b": {"norm": 0.0, "rms": 0.0, "status": "none"},
        "c": {"norm": 4.0, "rms": 2.0, "status": "ok"},
    })  # fmt: skip
    assert r.layer_ratio(["a", "b", "c"]) == (0.005, "a", "c")
    assert r.layer_ratio(["b", "c"]) is None
    assert r.total_grad_norm() == 17**0.5


def test_update_ratios_and_median():
    r = ProbeReading(step=0, epoch=0, updates={
        "a": {"update": 1.0, "weight": 10.0, "ratio": 0.1},
        "b": {"update": 0.0, "weight": 1.0, "ratio": 0.0},
        "c": {"update": 1.0, "weight": 1000.0, "ratio": 0.001},
    })  # fmt: skip
    assert r.update_ratios(["a", "c", "z"]) == {"a": 0.1, "c": 0.001}
    assert r.median_update_ratio(["a", "b", "c"]) == (0.1 + 0.001) / 2  # zeros left out


def test_input_rms_and_output_spread():
    assert abs(input_rms(torch.tensor([[3.0, 4.0]])) - 12.5**0.5) < 1e-6
    assert input_rms(torch.tensor([1, 2])) is None
    # per-unit std across samples is sqrt(2) for both units; mean |output| is 1.5
    assert abs(output_spread(torch.tensor([[1.0, -1.0], [3.0, 1.0]])) - 2**0.5 / 1.5) < 1e-6
    assert output_spread(torch.ones(1, 3)) is None
