import math

import pytest
import torch
from torch import nn

from trainwise.errors import ConfigError
from trainwise.losses.binary_label_smoothing import BinaryLabelSmoothing


def test_targets_are_smoothed_towards_one_half():
    p = torch.tensor([0.8, 0.3])
    y = torch.tensor([1, 0])  # integer labels are cast
    got = float(BinaryLabelSmoothing(nn.BCELoss(), 0.2)(p, y))
    # targets 0.9 and 0.1
    want = -(0.9 * math.log(0.8) + 0.1 * math.log(0.2) + 0.1 * math.log(0.3) + 0.9 * math.log(0.7))
    assert got == pytest.approx(want / 2, rel=1e-6)


def test_with_logits_matches_explicit_smoothed_targets():
    logits = torch.tensor([[1.5], [-0.5], [0.0]])
    y = torch.tensor([[1.0], [0.0], [1.0]])
    got = BinaryLabelSmoothing(nn.BCEWithLogitsLoss(), 0.1)(logits, y)
    want = nn.BCEWithLogitsLoss()(logits, y * 0.9 + 0.05)
    assert torch.allclose(got, want)


def test_zero_smoothing_is_identity():
    p, y = torch.tensor([0.7]), torch.tensor([1.0])
    assert torch.equal(BinaryLabelSmoothing(nn.BCELoss(), 0.0)(p, y), nn.BCELoss()(p, y))


def test_range_checked():
    with pytest.raises(ConfigError, match="loss.label_smoothing: 1.0 is not allowed"):
        BinaryLabelSmoothing(nn.BCELoss(), 1.0)
