import json
import math

import pytest

from trainwise.doctor.curves import CurveRules
from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.underfit import find_underfit, underfit_at
from trainwise.doctor.curves.underfitting import check_underfitting


@pytest.mark.parametrize("name", ["underfit_mnist1d_tiny", "underfit_digits_lowlr"])
def test_recorded_underfitting_runs_are_reported_at_a_quarter(curves, name):
    rec = curves.load(name)
    epoch, f = curves.first_detection(check_underfitting, rec["history"], curves.facts(rec))
    assert f is not None and f.code == "underfitting"
    # 20 planned epochs: judged from epoch index 4 (a quarter done), two epochs in a row
    assert (f.epoch, epoch) == (4, 5)
    ev = f.evidence
    assert ev["reference_loss"] == pytest.approx(math.log(10)) and ev["reference"] == "ln 10"
    assert ev["loss_share"] >= 0.5 and ev["accuracy_share"] < 0.5
    assert ev["epochs_done"] == 6 and ev["epochs_remaining"] == 14
    assert f"{ev['loss']:.3g}" in f.message and "ln 10" in f.message
    json.dumps(f.to_dict())


def test_fix_depends_on_whether_the_loss_still_falls(curves):
    tiny = curves.load("underfit_mnist1d_tiny")  # still falling ~0.05/epoch
    f = curves.first_detection(check_underfitting, tiny["history"], curves.facts(tiny))[1]
    assert f.fix.overrides == {"training.epochs": 40, "optimizer.lr": 0.003}
    low = curves.load("underfit_digits_lowlr")  # flat
    f = curves.first_detection(check_underfitting, low["history"], curves.facts(low))[1]
    assert "bigger model" in f.fix.text and "training.epochs" not in f.fix.overrides
    assert f.fix.overrides == {"optimizer.lr": 9e-05}


def test_recorded_healthy_runs_stay_silent(curves):
    # includes circles (best possible accuracy ~84%: loss stays at ~55% of chance) and an
    # MLP on MNIST-1D (63% accuracy but still improving at a pace that gets it there)
    names = curves.healthy + ["overfit_mnist1d_mlp_400", "overconfident_mnist1d_mlp"]
    for name in names:
        rec = curves.load(name)
        f = curves.first_detection(check_underfitting, rec["history"], curves.facts(rec))
        assert f[1] is None, (name, str(f[1]))


def _flat(loss, acc=None, epochs=12, **extra):
    rows = []
    for _ in range(epochs):
        row = {"loss": loss, "val_loss": loss * 1.02, **extra}
        if acc is not None:
            row |= {"accuracy": acc, "val_accuracy": acc}
        rows.append(row)
    return rows


def test_flat_high_loss_both_ways(curves):
    facts = RunFacts(total_epochs=20, num_classes=10)
    assert curves.first_detection(check_underfitting, _flat(2.0, 0.2), facts)[1] is not None
    # the same loss with 90% accuracy is not underfitting; nor a low loss with poor accuracy
    assert curves.first_detection(check_underfitting, _flat(2.0, 0.9), facts)[1] is None
    assert curves.first_detection(check_underfitting, _flat(0.5, 0.2), facts)[1] is None


def test_judged_only_from_a_quarter_of_the_run(curves):
    rows = _flat(2.2, 0.12, epochs=40)
    epoch, f = curves.first_detection(
        check_underfitting, rows, RunFacts(total_epochs=40, num_classes=10)
    )
    assert (f.epoch, epoch) == (9, 10)
    epoch, f = curves.first_detection(check_underfitting, rows, RunFacts(num_classes=10))
    assert (f.epoch, epoch) == (4, 5)  # unknown length: from epoch 5 on
    # unknown class count: measured against the first epoch's loss, which it never left
    epoch, f = curves.first_detection(check_underfitting, rows, RunFacts(total_epochs=40))
    assert (f.epoch, epoch) == (9, 10) and f.evidence["reference"] == "first epoch"


def test_a_fast_falling_curve_is_left_alone_until_the_pace_drops(curves):
    # 2.3 -> falls 0.12/epoch: at that pace it reaches a low loss well within 20 epochs
    rows = [{"loss": 2.3 - 0.12 * e, "accuracy": 0.1 + 0.02 * e} for e in range(8)]
    facts = RunFacts(total_epochs=20, num_classes=10)
    assert curves.first_detection(check_underfitting, rows, facts)[1] is None
    # the same curve flattening out at 1.9 is caught
    rows += [{"loss": 1.45, "accuracy": 0.26} for _ in range(6)]
    assert curves.first_detection(check_underfitting, rows, facts)[1] is not None


def test_dropout_inflated_training_loss_is_read_through_validation(curves):
    # training loss (dropout on) stays at 1.9, validation (dropout off) is fine
    rows = [{"loss": 1.9, "accuracy": 0.3, "val_loss": 0.3, "val_accuracy": 0.92}] * 12
    assert curves.first_detection(check_underfitting, rows, RunFacts(num_classes=10))[1] is None


def test_label_smoothing_raises_the_floor(curves):
    # 10 classes, smoothing 0.3: no model gets below ~1.18, so a flat 1.6 is 37% of the way
    # from there to chance (2.30), not the 69% it is without smoothing
    h = curves.history(_flat(1.6, epochs=12))
    plain = RunFacts(total_epochs=20, num_classes=10)
    smoothed = RunFacts(total_epochs=20, num_classes=10, regularization={"label_smoothing": 0.3})
    u = find_underfit(h, plain)
    assert u is not None and u.loss_share == pytest.approx(1.6 / math.log(10))
    assert find_underfit(h, smoothed) is None
    assert underfit_at(h, smoothed, loss_only=True) is None


def test_regression_against_the_first_epoch_or_a_given_chance_loss(curves):
    rows = [{"loss": 100.0 if e == 0 else 80.0, "mse": 80.0} for e in range(12)]
    facts = RunFacts(total_epochs=20)
    f = curves.first_detection(check_underfitting, rows, facts)[1]
    assert f is not None and f.evidence["reference"] == "first epoch"
    assert "accuracy" not in f.evidence
    # the same curve against a known target variance of 1000 is fine
    facts = RunFacts(total_epochs=20, chance_loss=1000.0)
    assert curves.first_detection(check_underfitting, rows, facts)[1] is None


@pytest.mark.parametrize("regularization", [None, "recorded"])
def test_strong_regularization_leaves_the_stall_to_over_regularized(curves, regularization):
    # the curve rules try over_regularized first; it claims the stall the underfitting rule
    # sees too (one symptom, see trainwise.doctor.precedence), and underfitting stays quiet
    rec = curves.load("overreg_mnist1d_wd")
    reg = rec["regularization"] if regularization else None
    rules = CurveRules(total_epochs=rec["total_epochs"], regularization=reg, num_classes=10)
    found = [f for e, row in enumerate(rec["history"]) for f in rules.update(e, row, step=e)]
    assert [f.code for f in found] == ["over_regularized" if reg else "underfitting"]
    stalled = curves.first_detection(check_underfitting, rec["history"], curves.facts(rec))
    assert stalled[1] is not None and found[0].epoch == stalled[1].epoch


def test_needs_a_training_loss():
    h = CurveHistory()
    for e in range(10):
        h.add(e, {"accuracy": 0.1})
    assert check_underfitting(h, RunFacts(num_classes=10)) is None


# -- the reference model: a noise floor is not underfitting ------------------------------------
def _circles_like(epochs=40, seed=0):
    """The healthy circles MLP (factor 0.8, noise 0.2): loss flattens at ~0.40-0.45 of
    ln 2 = 0.69 (60% of the way to chance) and accuracy at ~0.84, the data's ceiling."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = []
    for e in range(epochs):
        loss = 0.45 + 0.17 * math.exp(-e / 2.0)
        acc = 0.84 - 0.15 * math.exp(-e / 2.0)
        rows.append(
            {
                "loss": loss + 0.02 * rng.standard_normal(),
                "accuracy": acc - 0.08,  # training accuracy (shuffled batches, train mode)
                "val_loss": loss - 0.05 + 0.04 * rng.standard_normal(),
                "val_accuracy": acc + 0.02 * rng.standard_normal(),
            }
        )
    return rows


def test_a_plateau_at_the_data_noise_floor_stays_silent(curves):
    rows = _circles_like()
    # a 20-NN model reaches 0.82 out of fold on the same circles: the network is no worse
    facts = RunFacts(
        total_epochs=40, num_classes=2, n_val=160, reference_accuracy=0.82, reference_n=640
    )
    assert curves.first_detection(check_underfitting, rows, facts)[1] is None
    # unknown classes leave only the loss: still silent with the reference (it decides)
    facts = RunFacts(total_epochs=40, n_val=160, reference_accuracy=0.82, reference_n=640)
    assert curves.first_detection(check_underfitting, rows, facts)[1] is None


def test_the_same_plateau_far_below_the_reference_is_underfitting(curves):
    rows = _circles_like()
    facts = RunFacts(
        total_epochs=40, num_classes=2, n_val=160, reference_accuracy=0.99, reference_n=640
    )
    epoch, f = curves.first_detection(check_underfitting, rows, facts)
    assert f is not None
    # once the fall has flattened out (the projection no longer reaches half way), two epochs
    # in a row
    assert 3 <= f.epoch and epoch == f.epoch + 1
    ev = f.evidence
    assert ev["reference_accuracy"] == 0.99 and ev["accuracy"] < 0.99 - ev["reference_margin"]
    # margin: twice the standard error of the difference (0.99 on 640, ~0.85 on 160)
    assert 0.05 < ev["reference_margin"] < 0.07
    assert "reference model reaches 0.990 out of fold" in f.message


# -- the early pace test (with a reference): judged from the first epoch on ---------------------
def _tiny(epochs=10):
    """The tiny MLP on MNIST-1D (suite scenario underfitting/mnist1d_tiny_mlp): the first epoch
    ends above chance (2.30) and the loss then crawls down 0.06/epoch, accuracy ~0.15."""
    losses = [2.391, 2.300, 2.235, 2.178, 2.127, 2.083, 2.042, 2.010, 1.977, 1.951]
    accs = [0.126, 0.149, 0.158, 0.174, 0.217, 0.238, 0.239, 0.240, 0.241, 0.239]
    return [
        {"loss": lo, "val_loss": lo - 0.01, "accuracy": a, "val_accuracy": a - 0.01}
        for lo, a in zip(losses[:epochs], accs[:epochs])
    ]


def _mnist1d_facts(**kw):
    given = dict(
        total_epochs=10, num_classes=10, n_val=400, reference_accuracy=0.47, reference_n=2000
    )
    return RunFacts(**(given | kw))


def test_early_pace_test_reports_after_two_epochs(curves):
    # 20 planned epochs: two epochs are 10% of the run, so the verdict waits for the second
    facts = _mnist1d_facts(total_epochs=20)
    epoch, f = curves.first_detection(check_underfitting, _tiny(), facts)
    assert (f.epoch, epoch) == (0, 1)
    ev = f.evidence
    # the first epoch (2.381, above chance) is capped at ln 10: the pace is the step from
    # there to 2.29, projected over the 18 epochs left
    pace = 2.29 - math.log(10)
    assert ev["loss"] == pytest.approx(2.29) and ev["loss_slope_per_epoch"] == pytest.approx(pace)
    assert ev["epochs_remaining"] == 18
    assert ev["loss_share"] == pytest.approx((2.29 + 18 * pace) / math.log(10))
    assert ev["reference_accuracy"] == 0.47 and ev["accuracy"] == pytest.approx(0.149)
    # without the reference model only the cautious reading applies: from a quarter of the run
    epoch, f = curves.first_detection(
        check_underfitting, _tiny(), RunFacts(total_epochs=10, num_classes=10, n_val=400)
    )
    assert f is not None and epoch >= 3


def test_a_decisive_first_epoch_decides_a_short_run(curves):
    # 10 planned epochs of 57 steps (the suite's MNIST-1D tiny MLP): waiting for two would be
    # 20% of the run. The first epoch made no
    # headway (2.381 > ln 10: projected share 1.0 >= 0.9) and its accuracy 0.126 is 0.029 of
    # the way from chance to perfect, under half the reference's (0.47: 0.411), so it decides
    def detect(rows, steps=57):
        return curves.first_detection(check_underfitting, rows, _mnist1d_facts(), steps)

    epoch, f = detect(_tiny())
    assert (f.epoch, epoch) == (0, 0)
    assert f.evidence["loss_share"] == pytest.approx(1.0)
    assert "after 1 of 10 epochs" in f.message

    def with_lrs(start, end, base=None):
        rows = _tiny()
        for r in rows:
            r |= {"lr": end, "lr_start": start, "lr_end": end}
            if base is not None:
                r["lr_base"] = base
        return rows

    # the Doctor's within-epoch LRs show no warm-up: still decided on the first epoch
    assert detect(with_lrs(1e-3, 1e-3))[0] == 0
    # a per-step warm-up (the LR rose within the epoch), or a schedule that starts at a
    # fraction of its base LR (per-epoch warm-up, one-cycle): no verdict on the first epoch
    assert detect(with_lrs(1e-4, 5e-4))[0] != 0
    rows = with_lrs(4e-5, 4e-5, base=1e-3)
    assert detect(rows)[0] != 0
    # a logged LR alone cannot rule a warm-up out on the first epoch: two epochs then
    rows = [r | {"lr": 1e-3} for r in _tiny()]
    assert detect(rows)[0] == 1
    # a first epoch that learned something is not decisive (accuracy 0.30: 0.22 of the way)
    rows = _tiny()
    rows[0] |= {"accuracy": 0.30, "val_accuracy": 0.30}
    assert detect(rows)[0] == 1
    # an epoch shorter than 40 steps is too little training to decide alone
    assert detect(_tiny(), steps=23)[0] == 1


def test_early_pace_test_needs_the_accuracy_below_the_reference(curves):
    facts = RunFacts(total_epochs=10, num_classes=10, reference_accuracy=0.15, reference_n=2000)
    epoch, f = curves.first_detection(check_underfitting, _tiny(), facts)
    assert f is None  # the network is as good as the quick model: nothing more is known


def test_a_healthy_slow_start_is_left_alone(curves):
    # the first epoch barely moves (2.30 -> 2.25, accuracy 0.15; alone it projects to 1.3, 56%
    # of the way), the second falls fast: not two stuck epochs in a row, no finding
    losses = [2.25, 1.9, 1.5, 1.1, 0.8, 0.6, 0.5, 0.4, 0.35, 0.3]
    accs = [0.15, 0.35, 0.55, 0.7, 0.8, 0.85, 0.88, 0.9, 0.9, 0.91]
    rows = [
        {"loss": lo, "val_loss": lo * 1.05, "accuracy": a, "val_accuracy": a}
        for lo, a in zip(losses, accs)
    ]
    facts = RunFacts(total_epochs=20, num_classes=10, reference_accuracy=0.95, reference_n=1000)
    h = curves.history(rows[:1])
    assert underfit_at(h, facts) is not None  # the first epoch alone looks stuck
    assert curves.first_detection(check_underfitting, rows, facts)[1] is None


def test_no_early_verdict_during_a_learning_rate_warm_up(curves):
    # the loss sits at chance while the LR warms up over 3 epochs, then falls
    losses = [2.31, 2.30, 2.28, 1.6, 1.0, 0.7, 0.5, 0.4, 0.35, 0.3]
    lrs = [1e-4, 4e-4, 7e-4, 1e-3, 1e-3, 9e-4, 8e-4, 6e-4, 4e-4, 2e-4]
    rows = [
        {"loss": lo, "accuracy": 0.12 if lo > 2 else 0.9 - lo / 3, "lr": lr}
        for lo, lr in zip(losses, lrs)
    ]
    facts = _mnist1d_facts()
    assert curves.first_detection(check_underfitting, rows, facts)[1] is None
    # the same curves without the LR in the logs: nothing suggests a warm-up, and the first
    # epoch (at chance, accuracy 0.12 against 0.47; 50 steps) decides this 10-epoch run
    no_lr = [{k: v for k, v in r.items() if k != "lr"} for r in rows]
    epoch, f = curves.first_detection(check_underfitting, no_lr, facts, steps_per_epoch=50)
    assert (f.epoch, epoch) == (0, 0)


def test_early_noise_floor_plateau_stays_silent(curves):
    # circles: accuracy starts below the reference minus its margin (0.71 < 0.74), but the
    # first epoch's drop from chance projects far below half way; the plateau that follows is
    # at the reference's level
    rows = _circles_like()
    facts = RunFacts(
        total_epochs=40, num_classes=2, n_val=160, reference_accuracy=0.82, reference_n=640
    )
    assert rows[0]["val_accuracy"] < 0.74
    h = curves.history(rows[:2])
    assert underfit_at(h, facts, 0) is None and underfit_at(h, facts, 1) is None
    assert curves.first_detection(check_underfitting, rows, facts)[1] is None


def test_a_reference_at_chance_vouches_for_nothing(curves):
    # random labels: the quick model reaches 0.109 on 10 classes (chance 0.1) and the network
    # 0.076; the network is below the reference by more than the margin, but the reference
    # itself is not clearly above chance, so nothing more is reachable: no underfitting
    rows = [r | {"accuracy": 0.076, "val_accuracy": 0.07} for r in _tiny()]
    facts = _mnist1d_facts(reference_accuracy=0.109)
    assert curves.first_detection(check_underfitting, rows, facts)[1] is None
    # the same network against a reference that learned something (0.3) is underfitting
    facts = _mnist1d_facts(reference_accuracy=0.3)
    assert curves.first_detection(check_underfitting, rows, facts)[1] is not None


def test_a_loss_falling_faster_every_epoch_is_not_underfitting():
    # plain SGD leaving its initial plateau: 2.061, 2.023 (chance ln 8 = 2.079): the second
    # epoch's fall is larger than the first half-epoch's, doubled
    from trainwise.doctor.curves.curve_history import CurveHistory
    from trainwise.doctor.curves.run_facts import RunFacts
    from trainwise.doctor.curves.underfitting import check_underfitting

    h = CurveHistory()
    for e, (loss, acc) in enumerate([(2.061, 0.30), (2.023, 0.36), (1.978, 0.40)]):
        h.add(e, {"loss": loss, "accuracy": acc}, step=45 * (e + 1))
    facts = RunFacts(total_epochs=15, num_classes=8, reference_accuracy=0.83, reference_n=1440)
    assert check_underfitting(h, facts) is None
