"""The compatibility path ``trainwise.training.model_io`` (shown in docs/tricks.md) still
saves and loads weights: it is the checkpoint package's pair under the old name."""

import torch
from torch import nn

from trainwise.checkpoint import weights
from trainwise.training.model_io import load_weights, save_weights


def test_the_old_path_names_the_same_functions_and_round_trips(tmp_path):
    assert (load_weights, save_weights) == (weights.load_weights, weights.save_weights)
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    save_weights(model, tmp_path / "w.safetensors")
    other = nn.Linear(3, 2)
    load_weights(other, tmp_path / "w.safetensors")
    assert all(
        torch.equal(a, b) for a, b in zip(model.state_dict().values(), other.state_dict().values())
    )
