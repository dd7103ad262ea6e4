import functools

import pytest
import torch.nn.functional as F
from torch import nn

from trainwise.doctor.preflight.loss_kind import KINDS, loss_kind
from trainwise.losses.binary_label_smoothing import BinaryLabelSmoothing
from trainwise.losses.build import build_loss
from trainwise.losses.config import LossConfig
from trainwise.losses.flooding import Flooding
from trainwise.losses.from_probabilities import FromProbabilities
from trainwise.losses.target_adapter import TargetAdapter


@pytest.mark.parametrize(
    "loss,kind",
    [
        (nn.CrossEntropyLoss(), "logits"),
        (nn.NLLLoss(), "log_probabilities"),
        (nn.BCEWithLogitsLoss(), "binary_logits"),
        (nn.BCELoss(), "binary_probabilities"),
        (nn.MSELoss(), "values"),
        (nn.HuberLoss(), "values"),
        (F.cross_entropy, "logits"),
        (F.binary_cross_entropy, "binary_probabilities"),
        (functools.partial(F.nll_loss, reduction="sum"), "log_probabilities"),
        ("sparse_categorical_crossentropy", "logits"),
        ("binary_crossentropy", "binary_probabilities"),
        ("mean_squared_error", "values"),
        (Flooding(TargetAdapter(nn.BCEWithLogitsLoss()), 0.1), "binary_logits"),
        (BinaryLabelSmoothing(nn.BCELoss(), 0.1), "binary_probabilities"),
        (FromProbabilities(nn.CrossEntropyLoss()), "probabilities"),
        (Flooding(FromProbabilities(nn.CrossEntropyLoss()), 0.2), "probabilities"),
    ],
)
def test_known_losses(loss, kind):
    assert loss_kind(loss) == kind and kind in KINDS


def test_built_losses_follow_their_config():
    assert loss_kind(build_loss(LossConfig(name="cross_entropy", from_logits=False))) == (
        "probabilities"
    )
    assert loss_kind(build_loss(LossConfig(name="bce", from_logits=True, flooding=0.1))) == (
        "binary_logits"
    )
    assert loss_kind(build_loss(LossConfig(name="bce", label_smoothing=0.1))) == (
        "binary_probabilities"
    )


def test_unknown_losses_give_none():
    assert loss_kind("not_a_loss") is None
    assert loss_kind(lambda a, b: (a - b).abs().mean()) is None
    assert loss_kind(nn.KLDivLoss()) is None
