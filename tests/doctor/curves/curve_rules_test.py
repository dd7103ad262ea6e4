import json

import pytest
import torch

from trainwise.doctor.curves import CurveRules
from trainwise.doctor.finding import CODES
from trainwise.errors import CheckpointError, ConfigError


def _rules(rec):
    return CurveRules(
        total_epochs=rec["total_epochs"],
        regularization=rec["regularization"],
        num_classes=rec["num_classes"],
        n_val=rec["n_val"],
    )


def _run(rules, rows, start=0):
    found = []
    for e, row in enumerate(rows[start:], start):
        found += rules.update(e, row, step=10 * (e + 1))
    return found


def test_every_recorded_run_gets_exactly_its_expected_curve_findings(curves):
    for name in curves.recorded:
        rec = curves.load(name)
        found = _run(_rules(rec), rec["history"])
        expected = sorted(c for c in rec["expected"] if CODES[c] == "epoch")
        assert sorted(f.code for f in found) == expected, (name, [str(f) for f in found])


def test_only_the_run_length_and_regularization_are_enough(curves):
    # what a Doctor that knows nothing else passes: class counts and sizes unknown, extra log
    # keys (epoch, time) present
    for name in curves.recorded:
        rec = curves.load(name)
        rules = CurveRules(total_epochs=rec["total_epochs"], regularization=rec["regularization"])
        rows = [dict(row, epoch=e + 1, time=0.5) for e, row in enumerate(rec["history"])]
        found = _run(rules, rows)
        expected = sorted(c for c in rec["expected"] if CODES[c] == "epoch")
        assert sorted(f.code for f in found) == expected, (name, [str(f) for f in found])


def test_findings_are_new_only_and_each_code_once(curves):
    rec = curves.load("overfit_mnist1d_mlp_400")
    rules = _rules(rec)
    per_epoch = [rules.update(e, row) for e, row in enumerate(rec["history"])]
    hits = [(e, f.code) for e, fs in enumerate(per_epoch) for f in fs]
    # validation accuracy held (0.285 -> 0.313 on 400 samples, within noise) while the loss
    # rose: both codes are true, each is reported once, in the same epoch
    assert sorted(c for _, c in hits) == ["overconfident_predictions", "overfitting"]
    assert hits[0][0] == hits[1][0]
    assert set(rules.reported) == {"overconfident_predictions", "overfitting"}


@pytest.mark.parametrize("split", [3, 8, 12, 40])
def test_resume_from_json_state_gives_the_same_findings(curves, split):
    rec = curves.load("overfit_mnist1d_mlp_400")
    whole = [f.to_dict() for f in _run(_rules(rec), rec["history"])]
    first = _rules(rec)
    before = _run(first, rec["history"][:split])
    state = json.loads(json.dumps(first.state_dict()))
    second = _rules(rec)
    second.load_state_dict(state)
    after = _run(second, rec["history"], start=split)
    assert [f.to_dict() for f in before + after] == whole


def test_replaying_epochs_after_a_resume_does_not_double_count(curves):
    rec = curves.load("underfit_mnist1d_tiny")
    rules = _rules(rec)
    found = _run(rules, rec["history"][:5])
    rules.history.add(99, {"loss": 0.0})  # noise that a replay of epoch 3 must drop
    found += _run(rules, rec["history"], start=3)
    assert [f.code for f in found] == ["underfitting"]
    assert rules.history.epochs == list(range(20))


def test_tensor_logs_and_no_optional_facts():
    rules = CurveRules()
    found = []
    for e in range(30):
        logs = {"loss": torch.tensor(1.0 / (e + 1)), "val_loss": 0.5 + 0.04 * abs(e - 3)}
        found += rules.update(e, logs)
    assert [f.code for f in found] == ["overfitting"]
    assert found[0].step is None and found[0].epoch == 4


def test_bad_input_names_the_field():
    with pytest.raises(ConfigError, match=r"regularization\.wd"):
        CurveRules(regularization={"wd": 0.1})
    with pytest.raises(ConfigError, match="total_epochs: 0"):
        CurveRules(total_epochs=0)
    with pytest.raises(CheckpointError, match="version"):
        CurveRules().load_state_dict({"history": {}})
    with pytest.raises(CheckpointError, match="curve rules state"):
        CurveRules().load_state_dict({"version": 1, "history": {"epochs": [1]}})
