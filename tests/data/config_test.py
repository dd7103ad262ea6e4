from __future__ import annotations

import pytest
from pydantic import ValidationError

from trainwise.data.config import AugmentConfig, DataConfig, FaultConfig


def test_defaults():
    cfg = DataConfig()
    assert cfg.name == "mnist1d"
    assert cfg.validation_split == 0.1
    assert cfg.split == "keras"
    assert cfg.test_split == 0.2
    assert cfg.shuffle is True
    assert cfg.standardize == "auto"
    assert cfg.class_weight is None and cfg.balanced_sampler is False
    assert cfg.augment.active() == []
    assert cfg.faults.active() == []


@pytest.mark.parametrize("bad", [1.0, 1.5, -0.1, float("nan")])
def test_validation_split_range(bad):
    with pytest.raises(ValidationError) as e:
        DataConfig(validation_split=bad)
    msg = str(e.value)
    assert "data.validation_split" in msg
    assert "(0, 1), or 0 for no validation split" in msg


@pytest.mark.parametrize("ok", [0, 0.0, 0.01, 0.5, 0.99])
def test_validation_split_allowed(ok):
    assert DataConfig(validation_split=ok).validation_split == ok


def test_assignment_is_validated():
    cfg = DataConfig()
    with pytest.raises(ValidationError, match="data.validation_split"):
        cfg.validation_split = 2.0
    # the two --set overrides that belong together can come one at a time
    cfg.name = "csv"
    cfg.path = "x.csv"
    assert (cfg.name, cfg.path) == ("csv", "x.csv")


def test_test_split_range():
    with pytest.raises(ValidationError, match=r"data.test_split: 1.0 .*\[0, 1\)"):
        DataConfig(test_split=1.0)
    assert DataConfig(test_split=0).test_split == 0


def test_unknown_name_and_key_rejected():
    with pytest.raises(ValidationError, match="mnist1d"):
        DataConfig(name="mnist")
    with pytest.raises(ValidationError, match="extra"):
        DataConfig(nme="mnist1d")


def test_flip_bool_means_half():
    assert AugmentConfig(flip=True).flip == 0.5
    assert AugmentConfig(flip=False).flip == 0.0
    with pytest.raises(ValidationError, match=r"data.augment.flip: 1.5 .*\[0, 1\]"):
        AugmentConfig(flip=1.5)


def test_augment_ranges():
    with pytest.raises(ValidationError, match="data.augment.zoom"):
        AugmentConfig(zoom=1.0)
    with pytest.raises(ValidationError):
        AugmentConfig(shift=-1)
    with pytest.raises(ValidationError):
        AugmentConfig(rotation=200)
    assert AugmentConfig(shift=3, noise=0.1).active() == ["shift", "noise"]


def test_fault_ranges_and_active():
    with pytest.raises(ValidationError, match=r"data.faults.imbalance: 0.0 .*\(0, 1\]"):
        FaultConfig(imbalance=0.0)
    with pytest.raises(ValidationError, match="data.faults.label_noise"):
        FaultConfig(label_noise=1.0)
    with pytest.raises(ValidationError, match="data.faults.nan_fraction"):
        FaultConfig(nan_fraction=-0.1)
    f = FaultConfig(scale=100.0, sort_by_label=True, imbalance=0.1)
    assert f.active() == ["imbalance", "sort_by_label", "scale"]


def test_class_weight_forms():
    assert DataConfig(class_weight="balanced").class_weight == "balanced"
    assert DataConfig(class_weight={"1": 5}).class_weight == {1: 5.0}
    with pytest.raises(ValidationError, match="data.class_weight"):
        DataConfig(class_weight={0: -1.0})
    with pytest.raises(ValidationError):
        DataConfig(class_weight="balance")
