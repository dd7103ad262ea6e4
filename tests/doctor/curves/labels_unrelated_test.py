from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.labels_unrelated import check_labels_unrelated
from trainwise.doctor.curves.run_facts import RunFacts


def _history(val_accs, losses=None):
    h = CurveHistory()
    for e, a in enumerate(val_accs):
        loss = losses[e] if losses else 2.3
        h.add(e, {"loss": loss, "val_loss": 2.4, "val_accuracy": a}, step=30 * (e + 1))
    return h


FACTS = RunFacts(num_classes=10, n_val=300, reference_accuracy=0.1, reference_n=1000)


def test_reference_and_validation_at_chance_is_an_error_with_numbers():
    f = check_labels_unrelated(_history([0.11, 0.09, 0.10], [2.3, 1.9, 1.2]), FACTS)
    assert (f.code, f.severity, f.epoch) == ("labels_unrelated", "error", 0)
    assert "memorising" in f.message and f.evidence["epochs_at_chance"] == 3


def test_silent_when_either_side_shows_a_signal():
    assert (
        check_labels_unrelated(
            _history([0.1, 0.1]),
            RunFacts(num_classes=10, n_val=300, reference_accuracy=0.5, reference_n=1000),
        )
        is None
    )
    assert check_labels_unrelated(_history([0.1, 0.4]), FACTS) is None  # the net learns
    assert check_labels_unrelated(_history([0.1]), FACTS) is None  # one epoch: too early
    assert check_labels_unrelated(_history([0.1, 0.1]), RunFacts(num_classes=10)) is None
