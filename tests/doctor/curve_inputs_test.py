import torch

from trainwise.doctor.curve_inputs import class_counts, curve_facts, epoch_logs, split_rows


def test_epoch_logs_add_the_learning_rates_and_the_schedulers_base():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1)  # sets initial_lr = 0.1
    logs = {"loss": 1.0}
    out = epoch_logs(logs, (0.01, 0.02), opt)
    assert out == {"loss": 1.0, "lr_start": 0.01, "lr_end": 0.02, "lr_base": 0.1}
    assert logs == {"loss": 1.0}  # the caller's dict is not changed
    assert epoch_logs(logs, (None, 0.02), opt) == logs  # no step seen this epoch


def test_curve_facts_plan_the_epochs_and_build_the_reference_lazily(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "trainwise.doctor.curves.reference_accuracy.reference_accuracy",
        lambda x, y: calls.append((x, y)) or "ref",
    )
    facts = curve_facts(
        total_epochs=None,
        total_steps=100,
        steps_done=30,
        task="classification",
        num_classes=3,
        regularization={"dropout": 0.5},
        n_val=40,
        train_xy=("x", "y"),
    )
    assert facts["total_epochs"] == 4 and facts["num_classes"] == 3 and facts["n_val"] == 40
    assert facts["regularization"] == {"dropout": 0.5} and calls == []  # not computed yet
    assert facts["reference"]() == "ref" and calls == [("x", "y")]
    none = curve_facts(
        total_epochs=7,
        total_steps=100,
        steps_done=30,
        task=None,
        num_classes=None,
        regularization={},
        n_val=None,
        train_xy=None,
    )
    assert none["total_epochs"] == 7 and none["reference"] is None
    assert none["regularization"] is None


def test_class_counts_only_for_integer_valued_labels():
    assert class_counts(torch.tensor([2.0, 0.0, 2.0]), "binary") == {0: 1, 2: 2}
    assert class_counts(torch.tensor([0.5, 1.0]), "classification") is None
    assert class_counts(torch.zeros(3, 2), "classification") is None
    assert class_counts(torch.tensor([0, 1]), "regression") is None


def test_split_rows_of_sized_and_unsized_targets():
    assert split_rows(torch.zeros(5)) == 5
    assert split_rows(object()) is None
