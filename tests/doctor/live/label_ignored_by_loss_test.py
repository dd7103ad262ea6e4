import torch
from torch import nn

from trainwise.doctor.live.label_ignored_by_loss import _inside_rows, read_ignore_index


def _run(kit, loss_fn, *, steps=96, y=None):
    return kit.loop(kit.mlp(), loss_fn, steps=steps, y=y)


def test_ignore_index_on_a_real_class_warns_with_the_padding_fix(kit):
    f = kit.one(_run(kit, nn.CrossEntropyLoss(ignore_index=0)), "label_ignored_by_loss")
    assert f.severity == "warning"
    assert (f.evidence["ignore_index"], f.evidence["classes"]) == (0, 4)
    assert f.evidence["ignored_share"] >= 1 / 8
    assert "-100" in f.fix.text


def test_label_smoothing_does_not_hide_it(kit):
    loss = nn.CrossEntropyLoss(ignore_index=2, label_smoothing=0.1)
    assert kit.one(_run(kit, loss), "label_ignored_by_loss").evidence["ignore_index"] == 2


def test_the_default_and_padding_outside_the_classes_are_silent(kit):
    assert "label_ignored_by_loss" not in kit.codes(_run(kit, nn.CrossEntropyLoss()))
    # padding id 4: not one of the 4 classes of the output, a few padded samples
    x, y = kit.data()
    y = y.clone()
    y[::10] = 4
    doc = _run(kit, nn.CrossEntropyLoss(ignore_index=4), y=y)
    assert "label_ignored_by_loss" not in kit.codes(doc)


def test_a_loss_without_an_nll_node_stops_asking_for_targets(kit):
    from trainwise.doctor.live.label_ignored_by_loss import LabelIgnoredByLoss

    doc = _run(kit, lambda out, y: (out - nn.functional.one_hot(y, 4)).square().mean())
    rule = next(r for r in doc.rules if isinstance(r, LabelIgnoredByLoss))
    assert rule.ignore == -100 and not rule.reads_targets(200, 3, True)
    assert "label_ignored_by_loss" not in kit.codes(doc)


def test_a_rare_ignored_class_is_silent(kit):
    _, y = kit.data()
    y = torch.where(y == 0, 1, y)  # class 0 left in only a few rows
    y[::64] = 0
    doc = _run(kit, nn.CrossEntropyLoss(ignore_index=0), y=y)
    assert "label_ignored_by_loss" not in kit.codes(doc)


def test_graph_reading_and_padding_runs():
    x = torch.randn(4, 3, requires_grad=True)
    loss = nn.functional.cross_entropy(x, torch.tensor([0, 1, 2, 0]))
    assert read_ignore_index(loss) == (-100, 3)
    assert read_ignore_index((x**2).mean()) is None
    # padding at the ends of rows is not counted; the value inside a row is
    assert _inside_rows([5, 0, 0, 0, 5, 5, 0, 0, 7, 7, 7, 7], (3, 4), 0) == 0
    assert _inside_rows([5, 0, 5, 0], (1, 4), 0) == 1
