import torch
from torch import nn

from trainwise.models.modes import dummy_batch, evaluating


def test_evaluating_sets_eval_and_no_grad_then_restores_each_module():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2), nn.Dropout(0.5))
    model[1].eval()
    with evaluating(model) as m:
        assert m is model
        assert not any(mod.training for mod in model.modules())
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()
    assert [mod.training for mod in model.modules()] == [True, True, False, True]


def test_evaluating_restores_after_an_error():
    model = nn.Sequential(nn.Linear(2, 2))
    try:
        with evaluating(model):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert model.training and model[0].training


def test_dummy_batch_follows_model_dtype():
    x = dummy_batch(nn.Linear(3, 1).double(), (3,), 2)
    assert x.dtype == torch.float64 and x.shape == (2, 3) and not x.any()
    assert dummy_batch(nn.ReLU(), (4,), 1).dtype == torch.float32
