from __future__ import annotations

import pytest
import torch

from trainwise.data.standardize import Standardizer, resolve_mode
from trainwise.errors import ConfigError, DataError


def test_tabular_per_feature_closed_form():
    x = torch.tensor([[1.0, 100.0], [3.0, 300.0], [5.0, 500.0]])
    s = Standardizer("auto", "tabular").fit(x)
    assert s.mean.shape == (1, 2)
    assert torch.allclose(s.mean, torch.tensor([[3.0, 300.0]]))
    # population std: sqrt(8/3)
    assert torch.allclose(s.std, torch.tensor([[8 / 3, 80000 / 3]]).sqrt())
    z = s.transform(x)
    assert torch.allclose(z.mean(0), torch.zeros(2), atol=1e-6)
    assert torch.allclose(z.std(0, unbiased=False), torch.ones(2), atol=1e-6)


def test_uses_training_statistics_only():
    torch.manual_seed(0)
    train = torch.randn(500, 3)
    val = torch.randn(200, 3) + 5.0  # shifted
    s = Standardizer("feature", "tabular").fit(train)
    zv = s.transform(val)
    assert (zv.mean(0) > 4.0).all()  # not re-centred on validation statistics
    assert s.transform(train).mean(0).abs().max() < 1e-5


def test_per_channel_for_signals_and_images():
    torch.manual_seed(0)
    sig = torch.randn(50, 2, 40) * torch.tensor([1.0, 10.0]).view(1, 2, 1) + 3
    s = Standardizer("auto", "signal").fit(sig)
    assert s.mean.shape == (1, 2, 1)
    assert torch.allclose(s.mean.flatten(), sig.mean((0, 2)), atol=1e-4)
    img = torch.rand(20, 3, 8, 8)
    si = Standardizer("auto", "image").fit(img)
    assert si.mean.shape == (1, 3, 1, 1)
    z = si.transform(img)
    assert torch.allclose(z.mean((0, 2, 3)), torch.zeros(3), atol=1e-5)


def test_feature_and_global_modes():
    img = torch.rand(20, 1, 4, 4)
    assert Standardizer("feature", "image").fit(img).mean.shape == (1, 1, 4, 4)
    g = Standardizer("global", "image").fit(img)
    assert g.mean.shape == (1, 1, 1, 1)
    assert torch.allclose(g.mean.flatten(), img.mean().view(1), atol=1e-6)


def test_constant_feature_has_floored_std():
    x = torch.tensor([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]])
    s = Standardizer("feature", "tabular").fit(x)
    assert s.std[0, 0] == 1.0
    z = s.transform(x)
    assert torch.isfinite(z).all() and (z[:, 0] == 0).all()


def test_nan_values_are_ignored_by_statistics():
    x = torch.tensor([[1.0], [float("nan")], [3.0]])
    s = Standardizer("feature", "tabular").fit(x)
    assert s.mean.item() == pytest.approx(2.0) and s.std.item() == pytest.approx(1.0)
    z = s.transform(x)
    assert torch.isnan(z[1, 0]) and z[0, 0].item() == pytest.approx(-1.0)


def test_state_dict_round_trip():
    x = torch.randn(30, 4) * 7 + 2
    s = Standardizer("auto", "tabular").fit(x)
    t = Standardizer("auto", "tabular")
    t.load_state_dict(s.state_dict())
    assert torch.equal(t.transform(x), s.transform(x))
    assert set(s.state_dict()) == {"mean", "std"}
    with pytest.raises(DataError, match="missing"):
        t.load_state_dict({"mean": torch.zeros(1)})


def test_none_mode_is_identity_and_errors():
    x = torch.randn(5, 3)
    assert torch.equal(Standardizer("none", "tabular").fit(x).transform(x), x)
    assert resolve_mode("auto", "tabular") == "feature"
    with pytest.raises(ConfigError, match="data.standardize: 'minmax'"):
        Standardizer("minmax", "tabular")
    with pytest.raises(DataError, match="before fit"):
        Standardizer().transform(x)


def test_inverse_transform():
    x = torch.randn(10, 2) * 3 + 1
    s = Standardizer().fit(x)
    assert torch.allclose(s.inverse_transform(s.transform(x)), x, atol=1e-5)
