import json

from trainwise.doctor.curves.overconfident_predictions import (
    check_overconfident_predictions,
    val_accuracy_gain,
)
from trainwise.doctor.curves.overfitting import check_overfitting
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.val_loss_rise import find_val_loss_rise


def test_recorded_run_with_accuracy_still_rising_is_reported(curves):
    rec = curves.load("overconfident_mnist1d_mlp")
    facts = curves.facts(rec)
    epoch, f = curves.first_detection(check_overconfident_predictions, rec["history"], facts)
    assert f is not None and f.code == "overconfident_predictions"
    assert f.epoch == 9 and epoch <= 25
    ev = f.evidence
    assert ev["accuracy_gain"] >= ev["accuracy_gain_needed"] > 0.04  # 2 SE on 400 samples
    assert ev["val_loss"] > ev["best_val_loss"] * 1.1
    # the flood level is the training loss at the best epoch (Ishida et al.)
    assert f.fix.overrides["loss.flooding"] == float(f"{ev['train_loss_at_best']:.2g}")
    assert f.fix.overrides["loss.label_smoothing"] == 0.1
    json.dumps(f.to_dict())


def test_recorded_runs_without_that_pattern_stay_silent(curves):
    for name in curves.healthy:
        rec = curves.load(name)
        f = curves.first_detection(
            check_overconfident_predictions, rec["history"], curves.facts(rec)
        )
        assert f[1] is None, (name, str(f[1]))


def test_scripted_both_ways(curves):
    facts = RunFacts(total_epochs=40, n_val=1000)
    rising = curves.scripted(40, turn=12, rise_per_epoch=0.03, acc_per_epoch_after_turn=0.004)
    f = curves.first_detection(check_overconfident_predictions, rising, facts)[1]
    assert f is not None and 12 <= f.epoch <= 14
    # accuracy that merely holds still counts (confidence grows on the same mistakes) ...
    flat = curves.scripted(40, turn=12, rise_per_epoch=0.03)
    f = curves.first_detection(check_overconfident_predictions, flat, facts)[1]
    assert f is not None and "held" in f.message
    # ... accuracy that clearly falls is plain overfitting: the model gets answers wrong
    falling = curves.scripted(40, turn=12, rise_per_epoch=0.03, acc_per_epoch_after_turn=-0.015)
    assert curves.first_detection(check_overconfident_predictions, falling, facts)[1] is None
    f = curves.first_detection(check_overfitting, falling, facts)[1]
    assert f is not None and f.code == "overfitting"


def test_recorded_overfit_runs_with_accuracy_holding_are_both(curves):
    for name in ("overfit_mnist1d_mlp_400", "overfit_digits_mlp_120"):
        rec = curves.load(name)
        facts = curves.facts(rec)
        _, oc = curves.first_detection(check_overconfident_predictions, rec["history"], facts)
        _, of = curves.first_detection(check_overfitting, rec["history"], facts)
        assert oc is not None and of is not None and oc.epoch == of.epoch, name
        gain = oc.evidence["accuracy_gain"]
        assert -0.02 < gain < oc.evidence["accuracy_gain_needed"], name  # held, not rose


def test_a_small_gain_on_a_small_validation_set_is_noise(curves):
    rows = curves.scripted(40, turn=12, rise_per_epoch=0.03, acc_per_epoch_after_turn=0.0015)
    h = curves.history(rows)
    rise = find_val_loss_rise(h, RunFacts(total_epochs=40))
    big = val_accuracy_gain(h, RunFacts(total_epochs=40, n_val=5000), rise)
    small = val_accuracy_gain(h, RunFacts(total_epochs=40, n_val=100), rise)
    assert big.gain == small.gain and big.significant and not small.significant


def test_regression_gets_flooding_only(curves):
    rows = curves.scripted(40, turn=12, rise_per_epoch=0.03, acc_per_epoch_after_turn=0.004)
    facts = RunFacts(total_epochs=40, task="regression")
    f = curves.first_detection(check_overconfident_predictions, rows, facts)[1]
    assert set(f.fix.overrides) == {"loss.flooding"}
