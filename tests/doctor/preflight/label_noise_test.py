import numpy as np
import pytest
import torch

from trainwise.doctor.preflight.label_noise import check_label_noise, features, wilson_lower


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
