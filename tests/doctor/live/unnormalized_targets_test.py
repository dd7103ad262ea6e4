import torch
from torch import nn

from trainwise.doctor.live.unnormalized_targets import UnnormalizedTargets


def _regression(mean, std, n=512, d=8):
    """A smooth nonlinear target of ``d`` standard-normal features, scaled to ``mean``/``std``."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, d, generator=g)
    z = torch.tanh(x @ torch.randn(d, 1, generator=g) / 2) + 0.3 * x[:, :1] ** 2
    return x, mean + std * (z - z.mean()) / z.std()


def _fit(kit, mean, std, opt, steps=160):
    model = kit.mlp(classes=1)
    xy = _regression(mean, std)
    return kit.train(model, opt(model), steps=steps, xy=xy, loss_fn=nn.MSELoss())


def _adam(lr):
    return lambda m: torch.optim.Adam(m.parameters(), lr=lr)


def test_targets_a_thousand_units_large_that_adam_crawls_toward_are_named(kit):
    doc = _fit(kit, 1000.0, 300.0, _adam(1e-3))
    f = kit.one(doc, "unnormalized_targets")
    assert f.severity == "warning" and f.step == 0
    assert 900 < f.evidence["target_mean"] < 1100 and 250 < f.evidence["target_std"] < 350
    assert f.evidence["recent_loss"] > f.evidence["mean_prediction_loss"]
    assert "standardize the targets" in f.fix.text
    assert kit.codes(doc) == {"unnormalized_targets"}  # not loss_not_decreasing, its symptom


def test_a_run_that_diverges_on_them_is_an_error_ranked_first(kit):
    sgd = lambda m: torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)  # noqa: E731
    doc = _fit(kit, 1e5, 3e4, sgd)
    f = kit.one(doc, "unnormalized_targets")
    assert f.severity == "error" and f.evidence["diverged"]
    assert doc.findings[0].code == "unnormalized_targets" and "nan_loss" in kit.codes(doc)


def test_standardized_targets_are_silent(kit):
    assert "unnormalized_targets" not in kit.codes(_fit(kit, 0.0, 1.0, _adam(1e-3)))


def test_unscaled_targets_that_adam_fits_are_silent(kit):
    # tens of units: Adam at 1e-2 gets below the mean's level within the first probes
    assert "unnormalized_targets" not in kit.codes(_fit(kit, 20.0, 5.0, _adam(1e-2)))


def test_class_labels_are_never_read_as_targets(kit):
    rule = UnnormalizedTargets()
    assert rule.reads_targets(0, 0, probed=True) and not rule.reads_targets(9, 0, probed=False)
    x = torch.randn(512, 8)
    y = torch.randint(0, 40, (512,))  # class indices up to 39: a mean far above 10
    doc = kit.train(kit.mlp(classes=40), xy=(x, y), steps=48)
    assert "unnormalized_targets" not in kit.codes(doc)
