import json

import numpy as np
import pytest
import torch
from torch import nn

from trainwise.data.load import load_data
from trainwise.doctor.preflight import run_preflight
from trainwise.errors import ArgumentTypeError, ConfigError, DataError
from trainwise.models.build import build_model


def splits(b):
    return dict(x_val=b.x_val, y_val=b.y_val, x_test=b.x_test, y_test=b.y_test)


def test_healthy_mnist1d_with_the_default_cnn_is_silent_and_side_effect_free(bundle):
    b = bundle("mnist1d")
    torch.manual_seed(0)
    model = build_model(None, b.input_shape, b.num_classes)
    before = [p.detach().clone() for p in model.parameters()]
    state, np_state = torch.get_rng_state(), np.random.get_state()[1].copy()
    found = run_preflight(
        b.x_train, b.y_train, **splits(b), model=model, loss_fn=nn.CrossEntropyLoss()
    )
    assert found == []
    assert torch.equal(torch.get_rng_state(), state)
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters()))
    assert model.training


@pytest.mark.parametrize("name", ["digits", "circles", "regression"])
def test_healthy_builtin_datasets_are_silent(bundle, name):
    b = bundle(name)
    task = "regression" if b.task == "regression" else "classification"
    assert run_preflight(b.x_train, b.y_train, **splits(b), task=task) == []


def test_softmax_model_and_too_narrow_head(bundle):
    b = bundle("digits")
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 5), nn.Softmax(dim=1))
    found = run_preflight(
        b.x_train, b.y_train, **splits(b), model=model, loss_fn=nn.CrossEntropyLoss()
    )
    # 10 classes seen, 5 outputs: a head too narrow (not labels to re-encode), named once
    assert [f.code for f in found] == ["loss_output_mismatch", "output_cannot_express_labels"]
    assert "10 classes but the model has 5 outputs" in found[1].message
    assert all(f.severity == "error" for f in found)


def test_off_by_one_labels_are_named_once_not_also_as_imbalance(bundle):
    b = bundle("digits")
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    y = b.y_train + 1  # labels 1..10 for 10 outputs: class 0 looks empty
    found = run_preflight(b.x_train, y, model=model, loss_fn=nn.CrossEntropyLoss(), shuffle=True)
    assert [f.code for f in found] == ["label_out_of_range"]
    assert [f.code for f in run_preflight(b.x_train, y, num_classes=11)] == ["class_imbalance"]


def test_several_faults_at_once_are_ranked_errors_first():
    from trainwise.data.config import DataConfig, FaultConfig

    cfg = DataConfig(name="circles", faults=FaultConfig(sort_by_label=True, nan_fraction=0.01))
    b = load_data(cfg)
    found = run_preflight(b.x_train, b.y_train, **splits(b))
    assert [f.code for f in found] == ["nan_in_data", "unshuffled_data"]
    assert run_preflight(b.x_train, b.y_train, shuffle=True)[-1].code == "nan_in_data"
    for f in found:
        json.dumps(f.to_dict())
        assert f.step is None and f.epoch is None and f.message.endswith(".")


def test_binary_task_with_float_targets(bundle):
    b = bundle("circles", label_noise=0.2)
    y = b.y_train.float()
    torch.manual_seed(0)
    found = run_preflight(
        b.x_train, y, task="binary", model=nn.Linear(2, 1), loss_fn=nn.BCEWithLogitsLoss()
    )
    assert [f.code for f in found] == ["label_noise"]


def test_bad_arguments_raise_package_errors():
    x, y = np.zeros((10, 2)), np.zeros(10)
    with pytest.raises(ConfigError, match="task: 'multiclass' is not a known task"):
        run_preflight(x, y, task="multiclass")
    with pytest.raises(DataError, match="y_val: 3 targets for 4 samples"):
        run_preflight(x, y, x_val=np.zeros((4, 2)), y_val=np.zeros(3))
    with pytest.raises(ArgumentTypeError, match="DataLoader"):
        run_preflight(torch.utils.data.DataLoader(torch.zeros(4, 2)), y)
