import math

import pytest
import torch
from torch import nn

from trainwise.losses.from_probabilities import FromProbabilities


def test_equals_negative_log_probability_of_target():
    p = torch.tensor([[0.25, 0.75], [0.6, 0.4]])
    got = float(FromProbabilities(nn.CrossEntropyLoss())(p, torch.tensor([1, 0])))
    assert got == pytest.approx(-(math.log(0.75) + math.log(0.6)) / 2, rel=1e-6)


def test_matches_logits_loss_on_softmax_outputs_with_smoothing():
    torch.manual_seed(0)
    logits = torch.randn(5, 4, dtype=torch.float64)
    y = torch.tensor([0, 3, 1, 2, 2])
    ce = nn.CrossEntropyLoss(label_smoothing=0.1)
    got = FromProbabilities(ce)(logits.softmax(-1), y)
    assert torch.allclose(got, ce(logits, y), atol=1e-12)


def test_zero_probability_gives_finite_loss():
    p = torch.tensor([[1.0, 0.0]])
    loss = FromProbabilities(nn.CrossEntropyLoss())(p, torch.tensor([1]))
    assert loss.isfinite() and float(loss) == pytest.approx(-math.log(1e-7), rel=1e-3)
