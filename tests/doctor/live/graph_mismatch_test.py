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
_g = torch.Generator().manual_seed(0)
#: standardized regression targets: about half below 0
z = torch.randn(32, generator=_g)
#: multi-label targets, 6 labels, about 2.4 per row
multi_hot = (torch.rand(32, 6, generator=_g) < 0.4).float()
#: mixup of one-hot rows: soft targets summing to 1
_a, _b = (F.one_hot(torch.randint(0, 6, (32,), generator=_g), 6).float() for _ in range(2))
soft = 0.7 * _a + 0.3 * _b
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
    # ReLU6 is Hardtanh(0, 6): its own bounds, not tanh's
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.ReLU6(), nn.Flatten(0)), F.mse_loss,
     10 * torch.rand(32), "bounded_output_regression"),
    # a non-negative output regressed onto standardized targets (about half below 0)
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.ReLU(), nn.Flatten(0)), F.mse_loss, z,
     "non_negative_output_regression"),
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.Softplus()), F.smooth_l1_loss, z[:, None],
     "non_negative_output_regression"),
    (lambda: nn.Linear(8, 1), lambda o, t: F.huber_loss(o.exp().squeeze(1), t), z,
     "non_negative_output_regression"),
    (lambda: nn.Linear(8, 1), lambda o, t: (o.clamp(min=0).squeeze(1) - t).abs().mean(), z,
     "non_negative_output_regression"),
    # cross-entropy on multi-hot float targets (probability targets to torch)
    (lambda: nn.Linear(8, 6), F.cross_entropy, multi_hot, "cross_entropy_multilabel"),
    (lambda: nn.Linear(8, 6), lambda o, t: F.cross_entropy(o, t, weight=torch.rand(6) + 0.5),
     multi_hot, "cross_entropy_multilabel"),
    (lambda: nn.Linear(8, 6), lambda o, t: (-t * F.log_softmax(o, 1)).sum(1).mean(), multi_hot,
     "cross_entropy_multilabel"),
    (lambda: nn.Linear(8, 6),
     lambda o, t: F.cross_entropy(o, t, reduction="none").mean(), multi_hot,
     "cross_entropy_multilabel"),
    (lambda: nn.Sequential(nn.Linear(8, 6), nn.Softmax(1)), F.cross_entropy, soft,
     "softmax_into_cross_entropy"),
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
    # a non-negative output on targets that are never negative: counts, a variance
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.ReLU(), nn.Flatten(0)), F.mse_loss,
     torch.poisson(3 * torch.ones(32), generator=_g)),
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.Softplus(), nn.Flatten(0)), F.l1_loss,
     z.abs()),
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.ReLU6(), nn.Flatten(0)), F.mse_loss,
     6 * torch.rand(32, generator=_g)),
    # log counts: a few slightly negative targets a ReLU misses by little
    (lambda: nn.Sequential(nn.Linear(8, 1), nn.ReLU(), nn.Flatten(0)), F.mse_loss,
     torch.cat([torch.full((3,), -0.1), 2 + torch.rand(29, generator=_g)])),
    # softplus for the variance of a Gaussian likelihood, mean from a plain linear unit
    (lambda: nn.Linear(8, 2),
     lambda o, t: F.gaussian_nll_loss(o[:, 0], t, F.softplus(o[:, 1]) + 1e-3), z),
    # multi-label done right, and cross-entropy on targets that are distributions
    (lambda: nn.Linear(8, 6), F.binary_cross_entropy_with_logits, multi_hot),
    (lambda: nn.Linear(8, 6), F.cross_entropy, soft),
    (lambda: nn.Linear(8, 6), F.cross_entropy, F.one_hot(torch.arange(32) % 6, 6).float()),
    (lambda: nn.Linear(8, 6), lambda o, t: F.cross_entropy(o, t, label_smoothing=0.1),
     torch.arange(32) % 6),
    (lambda: nn.Linear(8, 6), lambda o, t: F.cross_entropy(o, t, label_smoothing=0.1),
     F.one_hot(torch.arange(32) % 6, 6).float()),
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


def _plain_loop(model, loss_fn, x, y, *, task, epochs=3, lr=3e-3):
    """The documented plain loop: check_data, step(loss, inputs=, targets=), epoch_end."""
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    doc = Doctor(model, opt)
    n_val = len(x) // 5
    doc.check_data(x[n_val:], y[n_val:], x_val=x[:n_val], y_val=y[:n_val], task=task)
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        order = n_val + torch.randperm(len(x) - n_val, generator=g)
        total = 0.0
        for i in range(0, len(order), 32):
            xb, yb = x[order[i : i + 32]], y[order[i : i + 32]]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            doc.step(loss, inputs=xb, targets=yb)
            total += float(loss.detach()) * len(xb)
        with torch.no_grad():
            val = float(loss_fn(model(x[:n_val]), y[:n_val]))
        doc.epoch_end({"loss": total / (len(x) - n_val), "val_loss": val})
    doc.close()
    return [f for f in doc.findings if f.severity in ("warning", "error")]


def _regression(seed=0, n=600):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=g)
    y = x[:, 0] * x[:, 1] + x[:, 2] + 0.1 * torch.randn(n, generator=g)
    return x, (y - y.mean()) / y.std()


def _mlp(out, final=()):
    torch.manual_seed(0)
    d = 5 if out == 1 else 20  # the regression's 5 inputs, the multi-label set's 20
    return nn.Sequential(nn.Linear(d, 32), nn.ReLU(), nn.Linear(32, out), *final)


def test_relu_on_a_standardized_regression_output_ranks_first_with_its_numbers():
    x, y = _regression()
    found = _plain_loop(_mlp(1, (nn.ReLU(), nn.Flatten(0))), nn.MSELoss(), x, y, task="regression")
    f = found[0]
    assert (f.code, f.severity) == ("loss_output_mismatch", "error"), [str(g) for g in found]
    ev = f.evidence
    assert ev["case"] == "non_negative_output_regression" and ev["range"] == [0.0, None]
    assert 0.3 <= ev["outside"] <= 0.7 and 0.1 <= ev["variance_out_of_reach"] <= 0.7
    assert "ReLU" in f.message and f"{ev['outside']:.0%} of the MSELoss targets" in f.message
    assert "remove the final ReLU" in f.fix.text
    # the same net with a linear output, and ReLU on counts (never negative): silent
    assert _plain_loop(_mlp(1, (nn.Flatten(0),)), nn.MSELoss(), x, y, task="regression") == []
    counts = torch.poisson(torch.exp(x[:, 0].clamp(max=2)), generator=torch.Generator())
    relu_counts = _mlp(1, (nn.ReLU(), nn.Flatten(0)))
    assert _plain_loop(relu_counts, nn.MSELoss(), x, counts, task="regression") == []


def _multilabel(seed=0, n=600):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 20, generator=g)
    y = (x[:, :6] + 0.3 * torch.randn(n, 6, generator=g) > 0.2).float()
    return x, y


def test_cross_entropy_on_multi_hot_targets_ranks_first_and_bce_stays_silent():
    x, y = _multilabel()
    found = _plain_loop(_mlp(6), nn.CrossEntropyLoss(), x, y, task="classification")
    f = found[0]
    assert (f.code, f.severity) == ("loss_output_mismatch", "error"), [str(g) for g in found]
    assert f.evidence["case"] == "cross_entropy_multilabel"
    assert f.evidence["multi_label_rows"] >= 0.5 and "BCEWithLogitsLoss" in f.fix.text
    assert _plain_loop(_mlp(6), nn.BCEWithLogitsLoss(), x, y, task="classification") == []
