"""loss_output_mismatch through the documented plain loop: no outputs, no loss_fn; the loss's
autograd graph is all the doctor has."""

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from trainwise.doctor import Doctor


def _run(model, loss_of, targets, *, steps=3, x=None):
    torch.manual_seed(0)
    x = torch.randn(32, 8) if x is None else x
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    doc = Doctor(model, opt)
    for _ in range(steps):
        opt.zero_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's own broadcast warning
            loss = loss_of(model(x), targets)
        loss.backward()
        opt.step()
        doc.step(loss, inputs=x, targets=targets)
    doc.close()
    return [f for f in doc.findings if f.code == "loss_output_mismatch"]


def _case(found):
    assert len(found) == 1, [str(f) for f in found]
    assert found[0].severity == "error" and found[0].step == 0
    return found[0].evidence["case"]


y4 = torch.randint(0, 4, (32,))
CASES = [
    (lambda: nn.Sequential(nn.Linear(8, 4), nn.Softmax(1)), F.cross_entropy, y4,
     "softmax_into_cross_entropy"),
    (lambda: nn.Sequential(nn.Linear(8, 4), nn.Softmax(1)), F.nll_loss, y4,
     "probabilities_into_nll"),
    (lambda: nn.Linear(8, 4), F.nll_loss, y4, "nll_raw_scores"),
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.Sigmoid()), F.binary_cross_entropy_with_logits,
     torch.randint(0, 2, (32, 1)).float(), "sigmoid_into_with_logits"),
    # a Flatten after the sigmoid puts a View nearest the loss: read through it
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.Sigmoid(), nn.Flatten(0)),
     F.binary_cross_entropy_with_logits, torch.randint(0, 2, (32,)).float(),
     "sigmoid_into_with_logits"),
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.Softmax(1), nn.Flatten(0)), F.mse_loss,
     torch.randint(0, 2, (32,)).float(), "single_unit_softmax"),
    (lambda: nn.Sequential(nn.Linear(8, 5), nn.Softmax(1)), F.binary_cross_entropy,
     (torch.rand(32, 5) > 0.5).float(), "softmax_multilabel"),
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.Sigmoid(), nn.Flatten(0)), F.mse_loss,
     torch.randint(0, 3, (32,)).float(), "bounded_output_regression"),
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.Tanh()), F.l1_loss, 3 * torch.randn(32, 1),
     "bounded_output_regression"),
    (lambda: nn.Linear(8, 1), F.mse_loss, torch.randn(32), "broadcast"),
    (lambda: nn.Linear(8, 1), lambda o, t: ((o - t) ** 2).mean(), torch.randn(32), "broadcast"),
]  # fmt: skip


@pytest.mark.parametrize("make, loss_of, targets, case", CASES)
def test_each_mismatch_is_read_from_the_graph(make, loss_of, targets, case):
    torch.manual_seed(0)
    assert _case(_run(make(), loss_of, targets)) == case


HEALTHY = [
    (lambda: nn.Linear(8, 4), F.cross_entropy, y4),
    (lambda: nn.Sequential(nn.Linear(8, 4), nn.LogSoftmax(1)), F.nll_loss, y4),
    (lambda: nn.Sequential(nn.Linear(8, 4), nn.LogSoftmax(1)), F.cross_entropy, y4),
    (lambda: nn.Linear(8, 1), F.binary_cross_entropy_with_logits,
     torch.randint(0, 2, (32, 1)).float()),
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.Flatten(0)), F.binary_cross_entropy_with_logits,
     torch.randint(0, 2, (32,)).float()),
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.Sigmoid()), F.binary_cross_entropy,
     torch.randint(0, 2, (32, 1)).float()),
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.Sigmoid(), nn.Flatten(0)), F.mse_loss,
     torch.rand(32)),
    (lambda: nn.Sequential(nn.Linear(8, 5), nn.Softmax(1)), F.binary_cross_entropy,
     F.one_hot(torch.randint(0, 5, (32,)), 5).float()),
    (lambda: nn.Linear(8, 5), F.binary_cross_entropy_with_logits,
     (torch.rand(32, 5) > 0.5).float()),
    (lambda: nn.Linear(8, 1), F.mse_loss, torch.randn(32, 1)),
    (lambda: nn.Linear(8, 1), lambda o, t: ((o - t) ** 2).mean(), torch.randn(32, 1)),
]  # fmt: skip


@pytest.mark.parametrize("make, loss_of, targets", HEALTHY)
def test_correct_pairings_are_silent(make, loss_of, targets):
    torch.manual_seed(0)
    assert _run(make(), loss_of, targets) == []


def test_a_float_loss_or_a_detached_one_is_not_judged():
    for handed in (lambda loss: loss.detach(), lambda loss: float(loss.detach())):
        model = nn.Sequential(nn.Linear(8, 4), nn.Softmax(1))
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        doc = Doctor(model, opt)
        x = torch.randn(32, 8)
        for _ in range(5):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y4)
            loss.backward()
            opt.step()
            doc.step(handed(loss), inputs=x, targets=y4)
        assert "loss_output_mismatch" not in {f.code for f in doc.findings}
        assert doc.loop.graph_settled and doc.rules[0].done


def test_with_outputs_and_loss_fn_the_outputs_check_speaks_once(kit):
    model = nn.Sequential(*kit.mlp(), nn.Softmax(1))
    doc = kit.train(model, steps=5)
    found = [f for f in doc.findings if f.code == "loss_output_mismatch"]
    assert len(found) == 1 and "row sums" in found[0].message
