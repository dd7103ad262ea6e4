import torch
from torch import nn

from trainwise.doctor import CODES, Doctor, Finding, Fix
from trainwise.doctor.live import RULES
from trainwise.doctor.live.rule import LiveRule
from trainwise.doctor.precedence import (
    CONSEQUENCE_HOLD,
    PRECEDENCE,
    causes,
    outranked,
    same_symptom,
    withdrawn_by_late_cause,
)


def test_every_entry_names_known_codes_and_says_why_in_one_line():
    for code, (explained_by, why) in PRECEDENCE.items():
        assert code in CODES and explained_by, code
        assert set(explained_by) <= set(CODES), code
        assert why.strip() and "\n" not in why, code


def test_outranked_only_by_a_listed_cause():
    assert outranked("dead_relu", {"unnormalized_inputs"})
    assert not outranked("dead_relu", {"lr_too_low", "overfitting"})
    assert not outranked("nan_loss", set(CODES))  # a code without an entry yields to nothing
    # growing gradients yield only to uncleared ones, whose fix is zero_grad, not clipping
    # (or to an LR schedule that grows all run, or targets far off the output's scale)
    assert causes("exploding_gradients") == (
        "zero_grad_missing",
        "eval_mode_during_training",
        "lr_schedule_unbounded",
        "unnormalized_targets",
    )
    assert outranked("lr_too_high", {"zero_grad_missing"})
    assert outranked("lr_too_low", {"lr_schedule_collapsed"})
    assert outranked("lr_too_low", {"lr_warmup_never_ends"})
    assert outranked("lr_too_high", {"lr_schedule_unbounded"})
    assert outranked("loss_not_decreasing", {"unnormalized_targets"})
    # a net stopped by a collapsed LR sits at chance: its accuracy says nothing about the labels
    assert withdrawn_by_late_cause("labels_unrelated", {"lr_schedule_collapsed"})


def test_only_underfitting_and_over_regularized_read_one_symptom():
    curve = [c for c, stage in CODES.items() if stage == "epoch"]
    pairs = {(c, d) for c in curve for d in same_symptom(c, curve)}
    assert pairs == {("underfitting", "over_regularized"), ("over_regularized", "underfitting")}


def test_the_live_rules_carry_no_precedence_of_their_own():
    assert not any(hasattr(cls, "yields_to") for cls in RULES)


class Recorder(LiveRule):
    """A stand-in live rule for one code: counts its calls, fires on every call."""

    every_step = True

    def __init__(self, code):
        super().__init__()
        self.code = code
        self.calls = 0

    def observe(self, ctx):
        self.calls += 1
        return [self.finding(ctx, f"{self.code} seen", Fix("none"))]


def _doctor(*codes):
    model = nn.Linear(2, 2)
    doc = Doctor(model, torch.optim.SGD(model.parameters(), lr=0.1))
    doc.rules = doc._every_step_rules = [Recorder(c) for c in codes]
    return doc


def test_a_live_rule_is_not_called_once_a_cause_fired():
    doc = _doctor("dead_relu")
    doc._add([Finding("unnormalized_inputs", "warning", "unscaled", Fix("scale"))])
    for _ in range(CONSEQUENCE_HOLD + 2):
        doc.step(1.0)
    assert doc.rules[0].calls == 0
    assert [f.code for f in doc.findings] == ["unnormalized_inputs"]


def test_an_early_consequence_is_held_then_released_or_dropped():
    # released: no cause fired within the hold; reported with the first probe after it
    doc = _doctor("dead_relu")
    out = [doc.step(1.0) for _ in range(4 * CONSEQUENCE_HOLD)]
    first = next(t for t, found in enumerate(out) if found)
    assert first >= CONSEQUENCE_HOLD and [f.code for f in out[first]] == ["dead_relu"]
    assert out[first][0].step == 0  # the onset stays where the symptom was seen
    # dropped: its cause fired while it was held
    doc = _doctor("dead_relu", "nan_loss")
    found = [f.code for _ in range(4 * CONSEQUENCE_HOLD) for f in doc.step(1.0)]
    assert found == ["nan_loss"] and doc._held == []


def test_a_rule_that_yields_to_nothing_is_reported_at_once():
    doc = _doctor("nan_loss")
    assert [f.code for f in doc.step(1.0)] == ["nan_loss"]
