import torch
import torch.nn.functional as F
from torch import nn

from trainwise.doctor.live.loss_graph import SOFT_CROSS_ENTROPY, read_loss_graph


def test_the_head_is_read_after_backward_freed_the_saved_tensors():
    model = nn.Sequential(nn.Linear(3, 1), nn.Softmax(dim=1), nn.Flatten(0))
    loss = F.mse_loss(model(torch.randn(5, 3)), torch.rand(5))
    loss.backward()
    g = read_loss_graph(loss, {id(p) for p in model.parameters()})
    assert g.loss_op == "MseLoss" and g.ops() == ["View", "Softmax", "Addmm"]
    assert g.head[1]["shape"] == [5, 1] and g.head[1]["dim"] == 1 and g.params_reached == 2


def test_reductions_above_the_loss_are_looked_through():
    lin = nn.Linear(3, 2)
    loss = F.cross_entropy(lin(torch.randn(4, 3)), torch.tensor([0, 1, 1, 0]), reduction="none")
    g = read_loss_graph(loss.mean() / 2, set())
    assert g.loss_op == "NllLoss" and g.ops() == ["LogSoftmax", "Addmm"]


def test_a_leaf_loss_reaches_nothing_and_a_detached_one_is_unknown():
    lin = nn.Linear(3, 2)
    loss = F.cross_entropy(lin(torch.randn(4, 3)), torch.tensor([0, 1, 1, 0]))
    g = read_loss_graph(torch.tensor(loss.item(), requires_grad=True), {id(lin.weight)})
    assert g.leaf and g.params_reached == 0
    assert read_loss_graph(loss.detach(), set()) is None and read_loss_graph(1.5, set()) is None


def test_an_unknown_loss_gives_no_head():
    lin = nn.Linear(3, 2)
    g = read_loss_graph((lin(torch.randn(4, 3)) ** 2).sum(), {id(lin.weight), id(lin.bias)})
    assert g.loss_op is None and g.head == [] and g.params_reached == 2


def test_cross_entropy_on_probability_targets_is_read_as_one_loss():
    lin = nn.Linear(3, 4)
    x, t = torch.randn(5, 3), torch.softmax(torch.randn(5, 4), 1)
    weight = torch.rand(4)
    for loss in (
        F.cross_entropy(lin(x), t),  # Div <- Neg <- Sum <- Mul <- LogSoftmax
        F.cross_entropy(lin(x), t, reduction="sum"),
        F.cross_entropy(lin(x), t, reduction="none").mean(),
        F.cross_entropy(lin(x), t, weight=weight),  # a second Mul: the class weights
        (-t * F.log_softmax(lin(x), 1)).sum(1).mean(),  # the same loss by hand
    ):
        g = read_loss_graph(loss, set())
        assert g.loss_op == SOFT_CROSS_ENTROPY and g.ops() == ["LogSoftmax", "Addmm"]
    # class indices stay NllLoss; a sum of log-probabilities alone is no loss it knows
    assert read_loss_graph(F.cross_entropy(lin(x), t.argmax(1)), set()).loss_op == "NllLoss"
    assert read_loss_graph(F.log_softmax(lin(x), 1).sum(), set()).loss_op is None


def test_a_hardtanh_or_clamp_keeps_its_bounds():
    lin = nn.Linear(3, 1)
    x, y = torch.randn(5, 3), torch.rand(5, 1)
    (relu6,) = read_loss_graph(F.mse_loss(F.relu6(lin(x)), y), set()).head[:1]
    assert (relu6["op"], relu6["min"], relu6["max"]) == ("Hardtanh", 0.0, 6.0)
    (clamp,) = read_loss_graph(F.mse_loss(lin(x).clamp(min=0), y), set()).head[:1]
    assert (clamp["op"], clamp["min"], clamp["max"]) == ("Clamp", 0.0, None)
