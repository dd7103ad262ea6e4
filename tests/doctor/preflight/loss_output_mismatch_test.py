import json

import numpy as np
import pytest
import torch
from torch import nn

from trainwise.doctor.preflight.loss_output_mismatch import check_outputs
from trainwise.losses.flooding import Flooding
from trainwise.losses.from_probabilities import FromProbabilities
from trainwise.models.build import build_model

g = torch.Generator().manual_seed(0)
LOGITS = torch.randn(32, 10, generator=g)
BIN = torch.randn(32, 1, generator=g)


def codes(found):
    return [(f.code, f.severity, f.where) for f in found]


def test_softmax_into_cross_entropy_fires_and_logits_do_not():
    (f,) = check_outputs(LOGITS.softmax(1), nn.CrossEntropyLoss(), "classification")
    assert codes([f]) == [("loss_output_mismatch", "error", "model output")]
    assert f.fix.overrides == {"loss.from_logits": False}
    assert f.evidence["row_sum_min"] == pytest.approx(1, abs=1e-6)
    json.dumps(f.to_dict())
    assert check_outputs(LOGITS, nn.CrossEntropyLoss(), "classification") == []
    # log_softmax into cross-entropy is harmless (log_softmax is idempotent)
    assert check_outputs(LOGITS.log_softmax(1), nn.CrossEntropyLoss(), "classification") == []
    # through a wrapper, and by name
    assert check_outputs(LOGITS.softmax(1), Flooding(nn.CrossEntropyLoss(), 0.1), "classification")
    assert check_outputs(LOGITS.softmax(1), "cross_entropy", "classification")


def test_single_output_into_cross_entropy():
    (f,) = check_outputs(BIN, nn.CrossEntropyLoss(), "classification")
    assert f.fix.overrides == {"loss.name": "bce_with_logits"}


def test_loss_on_probabilities_wants_probabilities():
    loss = FromProbabilities(nn.CrossEntropyLoss())
    assert check_outputs(LOGITS.softmax(1), loss, "classification") == []
    (f,) = check_outputs(LOGITS, loss, "classification")
    assert f.fix.overrides == {"loss.from_logits": True}


def test_nll_loss_wants_log_probabilities():
    assert check_outputs(LOGITS.log_softmax(1), nn.NLLLoss(), "classification") == []
    (p,) = check_outputs(LOGITS.softmax(1), nn.NLLLoss(), "classification")
    assert "probabilities (rows sum to 1)" in p.message
    (raw,) = check_outputs(LOGITS, nn.NLLLoss(), "classification")
    assert "raw scores" in raw.message and raw.fix.overrides == {"loss.name": "cross_entropy"}


def test_sigmoid_into_with_logits_loss():
    (f,) = check_outputs(BIN.sigmoid(), nn.BCEWithLogitsLoss(), "binary")
    assert f.fix.overrides == {"loss.name": "bce"}
    assert 0 < f.evidence["min"] < f.evidence["max"] < 1
    assert check_outputs(BIN, nn.BCEWithLogitsLoss(), "binary") == []
    assert check_outputs(torch.zeros(32, 1), nn.BCEWithLogitsLoss(), "binary") == []  # zero init
    assert check_outputs(BIN[:4].sigmoid(), nn.BCEWithLogitsLoss(), "binary") == []  # too few


def test_the_producing_op_decides_when_the_outputs_carry_their_history():
    torch.manual_seed(0)
    head = nn.Linear(2, 1)
    with torch.no_grad():
        head.weight.fill_(0.1)
        head.bias.fill_(0.5)
    x = torch.rand(64, 2)  # raw scores 0.5..0.7: inside [0, 1] but no sigmoid anywhere
    raw = head(x)
    assert check_outputs(raw, nn.BCEWithLogitsLoss(), "binary") == []
    assert len(check_outputs(raw.detach(), nn.BCEWithLogitsLoss(), "binary")) == 1  # values only
    (f,) = check_outputs(torch.sigmoid(head(x)), nn.BCEWithLogitsLoss(), "binary")
    assert f.evidence["produced_by"] == "Sigmoid"
    assert check_outputs(raw, nn.BCEWithLogitsLoss(), "binary", last_op="Sigmoid") != []


def test_raw_outputs_into_bce_on_probabilities():
    (f,) = check_outputs(BIN, nn.BCELoss(), "binary")
    assert f.fix.overrides == {"loss.name": "bce_with_logits"}
    assert check_outputs(BIN.sigmoid(), nn.BCELoss(), "binary") == []


def test_widths_against_targets():
    y = torch.zeros(32)
    (f,) = check_outputs(LOGITS, nn.MSELoss(), "regression", y)
    assert (f.evidence["width"], f.evidence["target_width"]) == (10, 1)
    assert check_outputs(BIN, nn.MSELoss(), "regression", y) == []  # (N, 1) against (N,)
    (b,) = check_outputs(torch.randn(32, 2), nn.BCEWithLogitsLoss(), "binary", y)
    assert b.evidence["width"] == 2
    one_hot = torch.eye(4)[torch.zeros(32, dtype=torch.long)]
    (c,) = check_outputs(LOGITS, nn.CrossEntropyLoss(), "classification", one_hot)
    assert c.evidence["target_width"] == 4


def test_non_finite_rows_unknown_losses_and_numpy_inputs():
    out = LOGITS.softmax(1).clone()
    out[3] = float("nan")
    assert check_outputs(out, nn.CrossEntropyLoss(), "classification")
    assert check_outputs(LOGITS.softmax(1), lambda a, b: a.sum(), "classification") == []
    assert check_outputs(LOGITS.softmax(1).numpy(), "cross_entropy", "classification")
    assert check_outputs(np.zeros(0), "cross_entropy", "classification") == []


def test_default_model_with_its_loss_is_silent():
    torch.manual_seed(0)
    model = build_model(None, (1, 40), 10).eval()
    with torch.no_grad():
        out = model(torch.randn(64, 1, 40))
    assert check_outputs(out, nn.CrossEntropyLoss(), "classification", torch.arange(64) % 10) == []
