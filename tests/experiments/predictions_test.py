import math

import numpy as np
import pytest
import torch

from trainwise.errors import ConfigError, DataError
from trainwise.experiments.predictions import (
    model_outputs,
    output_semantics,
    score_predictions,
    to_labels,
    to_probabilities,
)


def test_to_probabilities_per_task():
    logits = torch.tensor([[0.0, math.log(3.0)]])
    assert torch.allclose(to_probabilities(logits, "classification"), torch.tensor([[0.25, 0.75]]))
    # probabilities in, probabilities out
    p = torch.tensor([[0.2, 0.8]])
    assert torch.equal(to_probabilities(p, "classification", from_logits=False), p)
    assert torch.allclose(
        to_probabilities(torch.tensor([[0.0], [math.log(4.0)]]), "binary"), torch.tensor([0.5, 0.8])
    )
    assert torch.equal(
        to_probabilities(torch.tensor([[0.3]]), "binary", from_logits=False), torch.tensor([0.3])
    )
    raw = torch.tensor([[1.5], [-2.0]])
    assert torch.equal(to_probabilities(raw, "regression"), raw)


def test_to_labels():
    assert to_labels(torch.tensor([[0.1, 0.9], [0.6, 0.4]]), "classification").tolist() == [1, 0]
    assert to_labels(torch.tensor([0.51, 0.5]), "binary").tolist() == [1, 0]


def test_scores_closed_forms():
    p = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    s = score_predictions(p, torch.tensor([0, 0, 1]), "classification")
    assert s["accuracy"] == pytest.approx(1 / 3)  # argmax of the tie is class 0
    assert s["log_loss"] == pytest.approx(-(math.log(0.9) + math.log(0.2) + math.log(0.5)) / 3)
    # one-hot targets are read by their argmax
    onehot = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert score_predictions(p, onehot, "classification") == s
    b = score_predictions(torch.tensor([0.8, 0.3]), np.array([1.0, 1.0]), "binary")
    assert b["accuracy"] == 0.5
    assert b["log_loss"] == pytest.approx(-(math.log(0.8) + math.log(0.3)) / 2)
    r = score_predictions(torch.tensor([[1.0], [3.0]]), torch.tensor([0.0, 1.0]), "regression")
    assert r == {"mse": pytest.approx(2.5), "mae": pytest.approx(1.5)}


def test_log_loss_is_finite_for_a_confident_miss():
    s = score_predictions(torch.tensor([[1.0, 0.0]]), torch.tensor([1]), "classification")
    assert s["log_loss"] == pytest.approx(-math.log(1e-7))


def test_errors_name_the_field():
    with pytest.raises(ConfigError, match="task: 'multiclass' is not a known task; allowed: "):
        to_probabilities(torch.zeros(2, 2), "multiclass")
    with pytest.raises(DataError, match="y: 3 targets for 2 predictions"):
        score_predictions(torch.zeros(2, 2), torch.zeros(3, dtype=torch.long), "classification")


def test_model_outputs_eval_mode_batched_and_restored():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Dropout(0.9))
    model.train()
    x = torch.randn(7, 3)
    out = model_outputs(model, x, batch_size=3)
    assert torch.allclose(out, model[0](x).detach())  # dropout off
    assert model.training


def test_output_semantics():
    assert output_semantics(None) == ("classification", True)
    assert output_semantics("sparse_categorical_crossentropy") == ("classification", True)
    assert output_semantics("binary_crossentropy") == ("binary", False)
    assert output_semantics({"name": "bce", "from_logits": True}) == ("binary", True)
    assert output_semantics("huber") == ("regression", True)
    assert output_semantics(torch.nn.MSELoss()) == (None, True)
