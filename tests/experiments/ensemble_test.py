import math

import pytest
import torch
from torch import nn

from trainwise.data.load import load_data
from trainwise.errors import ArgumentTypeError
from trainwise.experiments.ensemble import Ensemble
from trainwise.models.build import build_model
from trainwise.run.schema import Config
from trainwise.training.fit import fit


class Constant(nn.Module):
    """Outputs the same row for every input."""

    def __init__(self, row):
        super().__init__()
        self.row = torch.tensor(row)

    def forward(self, x):
        return self.row.expand(len(x), -1)


def test_classification_averages_softmax_probabilities_not_logits():
    a = Constant([0.0, math.log(3.0)])  # softmax (0.25, 0.75)
    b = Constant([math.log(3.0), 0.0])  # softmax (0.75, 0.25)
    c = Constant([0.0, 100.0])  # (0, 1): averaging logits instead would differ
    ens = Ensemble([a, b, c])
    p = ens.predict_proba(torch.zeros(2, 1))
    assert torch.allclose(p, torch.tensor([[1 / 3, 2 / 3]] * 2), atol=1e-6)
    assert ens.predict(torch.zeros(2, 1)).tolist() == [1, 1]
    scores = ens.evaluate(torch.zeros(2, 1), torch.tensor([1, 0]))
    assert scores["accuracy"] == 0.5
    assert scores["log_loss"] == pytest.approx(-(math.log(2 / 3) + math.log(1 / 3)) / 2)
    members = ens.evaluate_members(torch.zeros(2, 1), torch.tensor([1, 0]))
    assert [m["accuracy"] for m in members] == [0.5, 0.5, 0.5]


def test_binary_averages_sigmoids_and_regression_averages_values():
    ens = Ensemble([Constant([0.0]), Constant([math.log(4.0)])], "binary")  # 0.5 and 0.8
    assert torch.allclose(ens.predict_proba(torch.zeros(3, 1)), torch.full((3,), 0.65))
    assert ens.predict(torch.zeros(1, 1)).tolist() == [1]
    probs = Ensemble([Constant([0.2]), Constant([0.4])], "binary", from_logits=False)
    assert torch.allclose(probs.predict_proba(torch.zeros(1, 1)), torch.tensor([0.3]))
    reg = Ensemble([Constant([1.0, 2.0]), Constant([3.0, 6.0])], "regression")
    assert reg.predict(torch.zeros(1, 1)).tolist() == [[2.0, 4.0]]
    assert reg.evaluate(torch.zeros(1, 1), torch.tensor([[2.0, 5.0]])) == {"mse": 0.5, "mae": 0.5}


def test_bad_arguments():
    with pytest.raises(ArgumentTypeError, match="models: the list is empty"):
        Ensemble([])
    with pytest.raises(ArgumentTypeError, match="expected a list of torch.nn.Module"):
        Ensemble(nn.Linear(2, 2))
    with pytest.raises(
        ArgumentTypeError, match=r"models\[1\]: expected a torch.nn.Module, got str"
    ):
        Ensemble([nn.Linear(2, 2), "model"])


def test_ensemble_of_three_cnns_on_mnist1d_beats_the_members_mean(mnist1d_cache, one_thread):
    bundle = load_data(Config().data, seed=0, cache_dir=mnist1d_cache)
    small_cnn = {
        "name": "cnn",
        "channels": [16, 16],
        "kernel_size": 5,
        "pool": "none",
        "head": "gap",
        "norm": "batch",
    }
    models = []
    for seed in range(3):  # members differ by seed: initial weights and batch order
        torch.manual_seed(seed)
        model = build_model(small_cnn, bundle.input_shape, bundle.output_dim)
        fit(
            model,
            (bundle.x_train, bundle.y_train),
            epochs=4,
            batch_size=128,
            lr=3e-3,
            seed=seed,
            verbose=False,
        )
        models.append(model)
    ens = Ensemble(models, "classification")
    members = ens.evaluate_members(bundle.x_test, bundle.y_test)
    mean_acc = sum(m["accuracy"] for m in members) / len(members)
    scores = ens.evaluate(bundle.x_test, bundle.y_test)
    assert mean_acc > 0.3  # the members learned something (chance is 0.1)
    assert scores["accuracy"] >= mean_acc
    # Jensen: the log loss of averaged probabilities is at most the members' mean log loss
    assert scores["log_loss"] <= sum(m["log_loss"] for m in members) / len(members) + 1e-6
