import numpy as np
import pytest
import torch

from trainwise.doctor.preflight import label_noise as ln
from trainwise.doctor.preflight.label_noise import (
    OutOfFold,
    check_label_noise,
    features,
    out_of_fold_probabilities,
    wilson_lower,
    wilson_upper,
)


@pytest.mark.parametrize("name", ["digits", "circles", "mnist1d"])
def test_clean_builtin_labels_are_silent(bundle, name):
    b = bundle(name)
    assert check_label_noise(b.x_train, b.y_train) == []


@pytest.mark.parametrize("name", ["digits", "circles", "mnist1d"])
def test_twenty_percent_label_noise_fires(bundle, name):
    clean, b = bundle(name), bundle(name, label_noise=0.2)
    (f,) = check_label_noise(b.x_train, b.y_train)
    assert (f.code, f.severity, f.where) == ("label_noise", "warning", "y_train")
    ev = f.evidence
    assert ev["estimated_share"] >= 0.12 and ev["lower_bound"] >= 0.07
    assert ev["disagreeing"] == round(ev["estimated_share"] * ev["checked"])
    # the suspects are mostly labels the fault really flipped
    flipped = set(np.flatnonzero((b.y_train != clean.y_train).numpy()).tolist())
    assert sum(i in flipped for i in ev["suspects"]) >= 0.7 * len(ev["suspects"])
    assert f.fix.overrides == {"loss.label_smoothing": 0.1}


def test_a_quick_model_starved_of_data_is_not_called_noise(bundle):
    b = bundle("mnist1d")
    x, y = b.x_train[:800], b.y_train[:800]  # kNN: 28% confident disagreement, 62% on half
    assert check_label_noise(x, y) == []
    noisy = bundle("mnist1d", label_noise=0.2)  # the same share at any size: still fires
    assert [f.code for f in check_label_noise(noisy.x_train, noisy.y_train)] == ["label_noise"]


def test_labels_unrelated_to_the_inputs_are_not_called_noise():
    rng = np.random.default_rng(0)
    assert check_label_noise(rng.normal(size=(800, 5)), rng.integers(0, 3, 800)) == []


def test_not_applicable_cases_return_nothing():
    x = np.random.default_rng(0).normal(size=(100, 3))
    assert check_label_noise(x, x[:, 0]) == []  # continuous targets
    assert check_label_noise(x[:20], np.arange(20) % 2) == []  # too few samples
    assert check_label_noise(x, None) == []


def test_leaves_global_random_state_alone(bundle):
    b = bundle("circles", label_noise=0.2)
    np_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state()
    check_label_noise(b.x_train, b.y_train)
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_wilson_lower_bound_closed_form_and_signal_features():
    assert wilson_lower(0, 10) == 0.0
    assert wilson_lower(50, 100) == pytest.approx(0.4038, abs=1e-4)
    assert features(np.zeros((3, 1, 40))).shape == (3, 40 + 21)  # raw + |rfft|
    assert features(np.zeros((3, 5))).shape == (3, 5)


def test_out_of_fold_rows_in_two_batches_equal_one_full_pass(bundle):
    b = bundle("digits")
    xs = features(b.x_train.numpy())
    _, col = np.unique(b.y_train.numpy(), return_inverse=True)
    oof = OutOfFold(xs, col, seed=3)
    rows = np.random.default_rng(0).permutation(len(col))
    got = np.empty((len(col), 10))
    got[rows[:300]] = oof.proba(rows[:300])
    got[rows[300:]] = oof.proba(rows[300:])
    assert np.array_equal(got, out_of_fold_probabilities(xs, col, seed=3))


def _count_batches(monkeypatch):
    calls = []
    proba = OutOfFold.proba
    monkeypatch.setattr(
        OutOfFold, "proba", lambda self, rows: calls.append(len(rows)) or proba(self, rows)
    )
    return calls


def test_the_screen_stops_clean_data_after_a_quarter(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1200, 2))
    y = (x[:, 0] > 0).astype(int)
    calls = _count_batches(monkeypatch)
    assert check_label_noise(x, y) == []
    assert calls == [300]  # the screen's quarter only


@pytest.mark.parametrize("name", ["digits", "mnist1d"])
def test_with_the_screen_the_verdict_is_that_of_one_full_pass(bundle, monkeypatch, name):
    for b in (bundle(name), bundle(name, label_noise=0.2)):
        screened = check_label_noise(b.x_train, b.y_train)
        with monkeypatch.context() as m:  # the check as it was: every sample in one pass
            m.setattr(ln, "_screened_probabilities", out_of_fold_probabilities)
            full = check_label_noise(b.x_train, b.y_train)
        assert [f.to_dict() for f in screened] == [f.to_dict() for f in full]


def test_wilson_upper_bound_mirrors_the_lower_one():
    assert wilson_upper(0, 0) == 1.0
    assert wilson_upper(50, 100) == pytest.approx(1 - wilson_lower(50, 100))
    assert wilson_upper(0, 100, z=3.29) == pytest.approx(3.29**2 / (100 + 3.29**2))


def test_multi_label_targets_are_skipped():
    # the multi-label split on which the check once warned "13.3% of the training labels
    # disagree": it read each multi-hot row's argmax (its first tag) as the sample's class
    from sklearn.datasets import make_multilabel_classification
    from sklearn.model_selection import train_test_split

    rs = np.random.RandomState(0)
    x, y = make_multilabel_classification(1500, n_features=20, n_classes=6, random_state=rs)
    x, _, y, _ = train_test_split(x, y, test_size=0.4, random_state=0)
    x = (x - x.mean(0)) / x.std(0)
    assert (y.sum(1) >= 2).mean() > 0.5
    # read as one class per sample (the argmax), these targets do look noisy ...
    assert [f.code for f in check_label_noise(x, y.argmax(1))] == ["label_noise"]
    # ... but they are several yes/no labels per sample, which this check does not judge
    assert check_label_noise(x, y.astype(np.float32)) == []
    assert check_label_noise(x, torch.tensor(y, dtype=torch.float32)) == []
