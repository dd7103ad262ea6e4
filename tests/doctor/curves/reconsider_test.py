from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.reconsider import reconsider
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.finding import Finding, Fix


def F(code, **evidence):
    return Finding(code, "warning", "m", Fix("f"), evidence=evidence)


def H(*rows):
    h = CurveHistory()
    for e, logs in enumerate(rows):
        h.add(e, logs, step=10 * (e + 1))
    return h


def test_a_flat_loss_verdict_is_withdrawn_once_the_loss_fell_steadily():
    f = F("loss_not_decreasing", recent_loss=2.3)
    kept, gone = reconsider([f], H({"loss": 2.2}, {"loss": 1.5}), RunFacts(), {f.code})
    assert (kept, gone) == ([], [f])
    kept, gone = reconsider([f], H({"loss": 2.2}, {"loss": 2.1}), RunFacts(), {f.code})
    assert (kept, gone) == ([f], [])


def test_underfitting_is_withdrawn_at_the_datas_ceiling_only():
    f = F("underfitting")
    facts = RunFacts(num_classes=10, n_val=500, reference_accuracy=0.8, reference_n=1000)
    assert reconsider([f], H({"loss": 0.6, "val_accuracy": 0.79}), facts, set())[1] == [f]
    assert reconsider([f], H({"loss": 0.1, "accuracy": 0.97}), RunFacts(), set())[1] == [f]
    assert reconsider([f], H({"loss": 1.6, "val_accuracy": 0.5}), facts, set())[0] == [f]


def test_dead_units_in_a_net_that_trains_well_are_info():
    f = F("dead_relu", dead_share=0.4)
    (kept,), _ = reconsider([f], H({"loss": 0.05, "accuracy": 0.99}), RunFacts(), {f.code})
    assert kept.severity == "info" and "trained well" in kept.message
    all_dead = F("dead_relu", dead_share=1.0)
    (kept,), _ = reconsider([all_dead], H({"loss": 0.05, "accuracy": 0.99}), RunFacts(), set())
    assert kept.severity == "warning"


def test_a_curve_verdict_yields_to_labels_unrelated_found_later():
    over, flat = F("overfitting"), F("loss_not_decreasing", recent_loss=2.3)
    kept, gone = reconsider([over, flat], H({"loss": 2.3}), RunFacts(), {"labels_unrelated"})
    assert gone == [over, flat] and kept == []  # the late cause is the report


def test_a_flat_loss_yields_to_a_schedule_collapse_or_penalty_found_later():
    for cause in ("lr_schedule_collapsed", "over_regularized"):
        flat = F("loss_not_decreasing", recent_loss=2.3)
        kept, gone = reconsider([flat], H({"loss": 2.3}), RunFacts(), {cause})
        assert gone == [flat] and kept == []
    kept, gone = reconsider([flat], H({"loss": 2.3}), RunFacts(), {"overfitting"})
    assert kept == [flat] and gone == []


def test_dead_units_found_before_their_cause_become_info_and_stay_warnings_alone():
    f = F("dead_relu", dead_share=0.5)
    h = H({"loss": 2.2}, {"loss": 2.3})
    kept, gone = reconsider([f], h, RunFacts(), {"dead_relu", "lr_too_high"})
    assert gone == [] and kept[0].severity == "info" and "lr_too_high" in kept[0].message
    kept, _ = reconsider([f], h, RunFacts(), {"dead_relu"})
    assert kept == [f]  # no cause: still a warning
    p = F("params_not_updating")  # not a symptom that a late cause demotes
    assert reconsider([p], h, RunFacts(), {"params_not_updating", "lr_too_low"})[0] == [p]


def test_a_flat_loss_verdict_is_withdrawn_once_the_epoch_losses_fell_steadily():
    # exponential_lr_gamma_too_small, fixed: "flat after 50 steps: 2.29", then 0.013 lower
    # every epoch; withdrawn once 5+ epochs fell in a row to under 97% of 2.29 (2.22)
    f = F("loss_not_decreasing", recent_loss=2.29)
    rows = [{"loss": 2.297 - 0.013 * e, "val_loss": 2.29 - 0.012 * e} for e in range(8)]
    assert reconsider([f], H(*rows[:6]), RunFacts(), {f.code})[1] == []  # 2.232: still flat
    assert reconsider([f], H(*rows[:7]), RunFacts(), {f.code})[1] == [f]


def test_a_flat_loss_verdict_stays_while_the_epoch_losses_only_wobble():
    f = F("loss_not_decreasing", recent_loss=2.3)
    wobble = [{"loss": v} for v in (2.31, 2.29, 2.32, 2.28, 2.31, 2.29, 2.2)]  # one low epoch
    assert reconsider([f], H(*wobble), RunFacts(), {f.code}) == ([f], [])


def test_a_flat_loss_verdict_stays_while_a_memorizing_nets_validation_loss_does_not_fall():
    # random labels: the training loss falls steadily as the net memorizes, validation stays
    f = F("loss_not_decreasing", recent_loss=2.33)
    rows = [{"loss": 2.33 - 0.03 * e, "val_loss": 2.31 + 0.01 * e} for e in range(8)]
    assert reconsider([f], H(*rows), RunFacts(), {f.code}) == ([f], [])


def test_a_flat_loss_verdict_stays_when_no_validation_loss_can_tell_learning_from_memorizing():
    # loss_not_decreasing/loop_random_labels: 2.32 -> 2.20 in 10 epochs, training logs only
    f = F("loss_not_decreasing", recent_loss=2.32)
    rows = [{"loss": 2.3194 - 0.013 * e} for e in range(10)]
    assert reconsider([f], H(*rows), RunFacts(), {f.code}) == ([f], [])
