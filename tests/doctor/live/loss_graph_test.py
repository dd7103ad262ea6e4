import torch
import torch.nn.functional as F
from torch import nn

from trainwise.doctor.live.loss_graph import read_loss_graph


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
