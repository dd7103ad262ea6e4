import numpy as np
import pytest
import torch
from torch import nn

from trainwise.doctor.preflight.model_outputs import model_outputs


def test_rng_state_and_train_mode_are_restored():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    model.train()
    model[1].eval()  # a mixed state must come back exactly
    state = torch.get_rng_state()
    out, idx, op = model_outputs(model, np.ones((100, 4), dtype=np.float32))
    assert torch.equal(torch.get_rng_state(), state)
    assert model.training and model[0].training and not model[1].training
    assert out.shape == (64, 3) and len(idx) == 64 and not out.requires_grad
    assert op == "Addmm" and all(p.grad is None for p in model.parameters())


def test_the_producing_operation_is_named():
    model = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())
    assert model_outputs(model, np.ones((8, 3), dtype=np.float32)).op == "Sigmoid"
    with torch.no_grad():  # the caller's grad mode does not matter
        assert model_outputs(nn.Linear(3, 2), np.ones((8, 3), dtype=np.float32)).op == "Addmm"


def test_rows_with_nan_are_skipped_and_double_models_work():
    x = np.ones((10, 3))
    x[4, 1] = np.nan
    out, idx, _ = model_outputs(nn.Linear(3, 2).double(), x)
    assert 4 not in idx.tolist() and out.shape == (9, 2) and out.dtype == torch.float32


def test_integer_inputs_reach_an_embedding():
    model = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2))
    out, _, _ = model_outputs(model, np.arange(30).reshape(10, 3) % 10)
    assert out.shape == (10, 2)


def test_a_failing_model_gives_none_with_a_warning():
    with pytest.warns(UserWarning, match="forward pass failed"):
        assert model_outputs(nn.Linear(5, 2), np.ones((4, 3), dtype=np.float32)) is None
    assert model_outputs(nn.Linear(3, 2), np.ones((0, 3))) is None
