import torch
from torch import nn

from trainwise.models.predict import predict_outputs


def test_batched_outputs_equal_one_eval_pass_and_modes_are_restored(tiny_mlp):
    model = tiny_mlp(4, 8, 3, act=None, norm=True, dropout=0.5)
    x = torch.randn(10, 4)  # the global RNG, after the weights
    model.train()
    model[1].eval()  # a deliberately frozen BatchNorm stays frozen
    out = predict_outputs(model, x, batch_size=3)
    assert model.training and not model[1].training and model[2].training
    model.eval()
    with torch.no_grad():
        assert torch.allclose(out, model(x), atol=1e-6)
    assert out.dtype == torch.float32 and out.device.type == "cpu" and not out.requires_grad


def test_forward_hook_float32_cast_and_empty_input():
    model = nn.Linear(2, 1).double()
    calls = []

    def forward(xb):
        calls.append(len(xb))
        return model(xb)

    out = predict_outputs(model, torch.zeros(5, 2, dtype=torch.float64), 2, forward=forward)
    assert calls == [2, 2, 1] and out.dtype == torch.float32 and out.shape == (5, 1)
    assert predict_outputs(model, torch.zeros(0, 2)).numel() == 0
