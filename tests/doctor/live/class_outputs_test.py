import pytest
import torch
from torch import nn

from trainwise.doctor.live.class_outputs import (
    ClassOutputs,
    known_weights,
    loss_weights,
    rank_correlation,
)
from trainwise.losses.flooding import Flooding


def caught_step(loss_fn, targets, *, step=3, arm=True, model=None, grad=True):
    """One training step of a linear model with ``ClassOutputs`` armed for it."""
    torch.manual_seed(0)
    model = model or nn.Linear(5, 3)
    outs = ClassOutputs(model)
    if arm:
        outs.arm(step)
    x = torch.randn(len(targets), 5)
    with torch.set_grad_enabled(grad):
        out = model(x)
    if grad:
        loss_fn(out, targets).backward()
    outs.observe(step)
    return outs, out


def test_per_class_counts_and_weights_read_from_the_gradient():
    y = torch.tensor([0, 0, 0, 0, 1, 1, 2, 2, 2, -100])  # -100: ignored by the loss and here
    weight = torch.tensor([1.0, 4.0, 2.0])
    outs, out = caught_step(nn.CrossEntropyLoss(weight=weight), y)
    t = outs.tally(3, y)
    assert t["seen"] == [4.0, 2.0, 3.0] and t["weights_fit"] is True
    pred = out.argmax(1)
    assert t["correct"] == [float(((pred == y) & (y == c)).sum()) for c in range(3)]
    assert sum(t["predicted"]) == 9.0
    w = outs.inferred_weights(min_samples=1)
    assert w[1] / w[0] == pytest.approx(4.0, rel=1e-4) and w[2] / w[0] == pytest.approx(2.0)
    assert outs.tally(3, y) is t  # computed once per step, whichever rule asks first


def test_unweighted_and_smoothed_losses():
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    outs, _ = caught_step(nn.CrossEntropyLoss(reduction="sum"), y)
    outs.tally(3, y)
    assert list(outs.inferred_weights(min_samples=1).values()) == pytest.approx([1.0] * 3)
    torch.manual_seed(0)
    sure = nn.Linear(5, 3)
    with torch.no_grad():
        sure.weight.mul_(5)  # far from uniform outputs, where smoothing shows in the gradient
    outs, _ = caught_step(nn.CrossEntropyLoss(label_smoothing=0.2), y, model=sure)
    assert outs.tally(3, y)["weights_fit"] is False  # not the weighted cross-entropy form
    assert outs.inferred_weights(min_samples=1) is None


def test_uncaught_steps_and_non_class_targets_give_nothing():
    y = torch.tensor([0, 1, 2, 1])
    outs, _ = caught_step(nn.CrossEntropyLoss(), y, arm=False)
    assert outs.tally(3, y) is None
    outs, _ = caught_step(nn.CrossEntropyLoss(), y, grad=False)  # a validation pass
    assert outs.tally(3, y) is None
    multi = torch.tensor([[1.0, 0, 1], [0, 1, 1], [1, 0, 0], [0, 0, 1]])
    outs, _ = caught_step(nn.BCEWithLogitsLoss(), multi)
    assert outs.tally(3, multi) is None  # multi-label rows are not class indices


def test_a_later_catch_is_kept_for_its_own_step():
    y = torch.tensor([0, 1, 2, 1])
    outs, _ = caught_step(nn.CrossEntropyLoss(), y, step=5)
    assert outs.tally(4, y) is None  # step 4 was not caught: step 5's catch stays
    assert outs.tally(5, y)["seen"] == [1.0, 2.0, 1.0]


def test_binary_outputs_need_a_threshold():
    y = torch.tensor([0.0, 1.0, 1.0, 0.0])
    model = nn.Linear(5, 1)
    outs, out = caught_step(lambda o, t: nn.functional.binary_cross_entropy_with_logits(
        o[:, 0], t), y, model=model)  # fmt: skip
    t = outs.tally(3, y, threshold=0.0)
    assert t["classes"] == 2 and t["seen"] == [2.0, 2.0]
    assert sum(t["correct"]) == float(((out[:, 0] > 0).float() == y).sum())


def test_loss_weights_through_wrappers_and_rank_correlation():
    w = torch.tensor([0.5, 2.0])
    assert loss_weights(Flooding(nn.CrossEntropyLoss(weight=w), 0.1)) == [0.5, 2.0]
    assert loss_weights(nn.NLLLoss(weight=w)) == [0.5, 2.0]
    assert loss_weights(nn.MSELoss()) is None and loss_weights(None) is None
    assert known_weights(None, None) is None
    assert rank_correlation([3, 2, 1], [10, 20, 30]) == -1.0
    assert rank_correlation([1, 1, 1], [1, 2, 3]) is None and rank_correlation([1], [2]) is None
    assert rank_correlation([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.9487, abs=1e-4)
