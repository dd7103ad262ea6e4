from __future__ import annotations

import pytest
import torch

from trainwise.data.augment import build_augmenter, random_contrast, random_roll
from trainwise.data.config import AugmentConfig
from trainwise.errors import ConfigError


@pytest.mark.parametrize("kind", ["tabular", "signal", "image"])
def test_all_off_returns_none(kind):
    assert build_augmenter(AugmentConfig(), kind) is None


def test_shift_rolls_each_sample_circularly_within_range():
    torch.manual_seed(0)
    x = torch.randn(64, 2, 40)
    out = build_augmenter(AugmentConfig(shift=3), "signal")(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert not torch.equal(out, x)
    seen = set()
    for i in range(len(x)):
        matches = [s for s in range(-3, 4) if torch.equal(torch.roll(x[i], s, dims=-1), out[i])]
        assert len(matches) == 1  # both channels moved by the same shift
        seen.add(matches[0])
    assert seen == set(range(-3, 4))  # 64 samples: every shift occurs


def test_shift_moves_a_spike():
    x = torch.zeros(1, 1, 10)
    x[0, 0, 5] = 1.0
    torch.manual_seed(1)
    out = random_roll(x.expand(200, 1, 10).clone(), 2)
    positions = out.argmax(-1).flatten()
    assert set(positions.tolist()) == {3, 4, 5, 6, 7}


def test_noise_has_the_configured_std():
    torch.manual_seed(0)
    x = torch.zeros(100, 1, 100)
    out = build_augmenter(AugmentConfig(noise=0.5), "signal")(x)
    assert out.std().item() == pytest.approx(0.5, rel=0.03)


def test_scale_is_one_factor_per_sample_within_range():
    torch.manual_seed(0)
    x = torch.rand(50, 1, 20) + 1.0
    out = build_augmenter(AugmentConfig(scale=0.2), "signal")(x)
    ratio = out / x
    per_sample = ratio[:, 0, 0].view(-1, 1, 1)
    assert torch.allclose(ratio, per_sample.expand_as(ratio), atol=1e-5)
    assert (per_sample >= 0.8 - 1e-6).all() and (per_sample <= 1.2 + 1e-6).all()
    assert per_sample.std() > 0.05


def test_same_seed_same_augmentation():
    aug = build_augmenter(AugmentConfig(shift=2, noise=0.1, scale=0.1), "signal")
    x = torch.randn(8, 1, 40)
    torch.manual_seed(5)
    a = aug(x)
    torch.manual_seed(5)
    b = aug(x)
    assert torch.equal(a, b)


def test_tabular_noise():
    out = build_augmenter(AugmentConfig(noise=0.1), "tabular")(torch.zeros(4, 3))
    assert out.shape == (4, 3) and out.abs().sum() > 0


def test_image_flip_with_probability_one():
    x = torch.randn(4, 1, 5, 6)
    out = build_augmenter(AugmentConfig(flip=1.0), "image")(x)
    assert torch.equal(out, torch.flip(x, dims=[-1]))


@pytest.mark.parametrize(
    "option", [{"rotation": 20.0}, {"zoom": 0.2}, {"translation": 0.2}, {"contrast": 0.3}]
)
def test_image_ops_keep_shape_and_change_values(option):
    torch.manual_seed(0)
    x = torch.randn(6, 3, 8, 8)
    aug = build_augmenter(AugmentConfig(**option), "image")
    out = aug(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert not torch.allclose(out, x)


def test_contrast_keeps_each_image_mean():
    torch.manual_seed(0)
    x = torch.randn(10, 2, 4, 4) + 3.0
    out = random_contrast(x, 0.5)
    assert torch.allclose(out.mean((2, 3)), x.mean((2, 3)), atol=1e-5)
    dev_in = x - x.mean((2, 3), keepdim=True)
    dev_out = out - out.mean((2, 3), keepdim=True)
    factor = (dev_out / dev_in)[:, 0, 0, 0]
    assert ((factor >= 0.5 - 1e-4) & (factor <= 1.5 + 1e-4)).all()


@pytest.mark.parametrize(
    ("option", "kind"),
    [({"shift": 2}, "image"), ({"flip": 0.5}, "signal"), ({"rotation": 10.0}, "tabular")],
)
def test_options_that_do_not_fit_the_kind(option, kind):
    name = next(iter(option))
    with pytest.raises(ConfigError, match=f"data.augment.{name}: .* does not apply to {kind}"):
        build_augmenter(AugmentConfig(**option), kind)


def test_unknown_kind():
    with pytest.raises(ConfigError, match="allowed: tabular, signal, image"):
        build_augmenter(AugmentConfig(noise=0.1), "video")
