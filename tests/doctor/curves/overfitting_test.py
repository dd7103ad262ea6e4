import json

import pytest

from trainwise.doctor.curves.overfitting import check_overfitting
from trainwise.doctor.curves.run_facts import RunFacts

FAULTS = {
    # name: (onset epoch, latest epoch at which it must have been reported)
    "overfit_mnist1d_mlp_400": (4, 14),
    "overfit_mnist1d_mlp_2000": (14, 27),
    "overfit_digits_mlp_120": (9, 40),
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_recorded_overfitting_runs_are_reported_with_onset_and_evidence(curves, name):
    rec = curves.load(name)
    epoch, f = curves.first_detection(check_overfitting, rec["history"], curves.facts(rec))
    onset, deadline = FAULTS[name]
    assert f is not None and f.code == "overfitting" and f.severity == "warning"
    assert f.epoch == onset and f.step == 10 * (onset + 1)
    assert epoch <= deadline
    ev = f.evidence
    assert ev["best_epoch"] == onset - 1
    assert ev["val_loss"] > ev["best_val_loss"] * 1.05
    assert ev["train_loss"] < ev["train_loss_at_best"]
    assert f"{ev['best_val_loss']:.3g}" in f.message and f"{ev['val_loss']:.3g}" in f.message
    assert f.fix.overrides["callbacks.early_stopping.patience"] >= 3
    assert f.fix.overrides["model.dropout"] == 0.3
    json.dumps(f.to_dict())


def test_recorded_healthy_runs_stay_silent(curves):
    for name in curves.healthy + ["overconfident_mnist1d_mlp"]:
        rec = curves.load(name)
        epoch, f = curves.first_detection(check_overfitting, rec["history"], curves.facts(rec))
        assert f is None, (name, epoch, str(f))


def test_noisy_plateaus_stay_silent_over_many_seeds(curves):
    # validation loss settles and wiggles (2% to 8% noise) while training loss keeps falling
    for seed in range(40):
        rows = curves.scripted(40, seed=seed, val_noise=0.02 + 0.0015 * seed)
        epoch, f = curves.first_detection(check_overfitting, rows, RunFacts(total_epochs=40))
        assert f is None, (seed, epoch, str(f))


def test_scripted_rise_is_reported_soon_after_it_starts(curves):
    for seed in range(10):
        rows = curves.scripted(40, seed=seed, turn=12, rise_per_epoch=0.03)
        epoch, f = curves.first_detection(check_overfitting, rows, RunFacts(total_epochs=40))
        assert f is not None, seed
        assert 12 <= f.epoch <= 14 and epoch <= 12 + 8, (seed, f.epoch, epoch)


def test_rising_validation_accuracy_makes_it_another_finding(curves):
    rows = curves.scripted(40, seed=0, turn=12, rise_per_epoch=0.03, acc_per_epoch_after_turn=0.004)
    assert curves.first_detection(check_overfitting, rows, RunFacts(total_epochs=40))[1] is None


def test_training_loss_that_stopped_falling_is_not_overfitting(curves):
    rows = curves.scripted(40, seed=0, turn=12, rise_per_epoch=0.03)
    for row in rows[12:]:
        row["loss"] = rows[12]["loss"]
    assert curves.first_detection(check_overfitting, rows, RunFacts(total_epochs=40))[1] is None


def test_fix_adds_weight_decay_fitting_the_optimizer(curves):
    rec = curves.load("overfit_mnist1d_mlp_400")
    for opt, wd, expected in [("adamw", 0.01, 0.05), ("adam", 0.0, 1e-4), ("adamw", 0.1, None)]:
        facts = RunFacts(total_epochs=60, regularization={"optimizer": opt, "weight_decay": wd})
        f = curves.first_detection(check_overfitting, rec["history"], facts)[1]
        assert f.fix.overrides.get("optimizer.weight_decay") == expected
    facts = RunFacts(total_epochs=60, regularization={"dropout": 0.5})
    f = curves.first_detection(check_overfitting, rec["history"], facts)[1]
    assert "model.dropout" not in f.fix.overrides
