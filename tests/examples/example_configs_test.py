"""The example configs stay valid: every examples/*.yaml loads, every variant of every
``compare:`` section validates and builds its model, and the headline's last step is exactly
the default recipe. No training: a broken example fails here in about a second instead of
minutes into a comparison."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainwise.config.validate import validate_config
from trainwise.config.yaml_loader import load_yaml_file
from trainwise.experiments.comparison.trial import check_metrics
from trainwise.experiments.comparison.variants import variant_configs, variants_from_mapping
from trainwise.models.build import build_model
from trainwise.run.schema import Config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
COMPARISONS = [p for p in EXAMPLES if "compare" in load_yaml_file(p)]
DEFAULT_RECIPE = ROOT / "src" / "trainwise" / "recipes" / "default.yaml"
# input shape and outputs of the datasets the comparisons use (MNIST-1D: (1, 40), 10 classes)
SHAPES = {"mnist1d": ((1, 40), 10), "digits": ((1, 8, 8), 10), "regression": ((10,), 1)}


def _variant_configs(path: Path) -> dict:
    raw = load_yaml_file(path)
    return variant_configs(raw, variants_from_mapping(raw["compare"]["variants"]))


def _params(cfg: Config) -> int:
    shape, outputs = SHAPES[cfg.data.name]
    model = build_model(cfg.model, shape, outputs)
    return sum(p.numel() for p in model.parameters())


def test_the_comparison_configs_are_found():
    names = {p.name for p in COMPARISONS}
    assert {
        "compare_optimizers.yaml",
        "compare_schedules.yaml",
        "compare_overfitting.yaml",
        "compare_architectures.yaml",
        "compare_batch_size.yaml",
        "compare_losses.yaml",
        "headline.yaml",
    } <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates(path):
    cfg = validate_config(load_yaml_file(path), Config)
    assert isinstance(cfg, Config)


@pytest.mark.parametrize("path", COMPARISONS, ids=lambda p: p.name)
def test_every_variant_validates_and_builds(path):
    cfg = validate_config(load_yaml_file(path), Config)
    section = cfg.compare
    assert section.seeds >= 3, "the docs report mean ± std over at least 3 seeds"
    if section.metrics:
        check_metrics(section.metrics)
    configs = _variant_configs(path)
    assert list(configs) == list(section.variants)
    assert len(configs) >= 2
    for name, vcfg in configs.items():
        assert vcfg.data.name in SHAPES, name
        assert _params(vcfg) > 0, name


def test_the_variants_differ_from_each_other():
    # a typo'd override that validates but changes nothing would make two rows identical
    for path in COMPARISONS:
        dumps = [c.model_dump(mode="json") for c in _variant_configs(path).values()]
        for i, a in enumerate(dumps):
            assert all(a != b for b in dumps[i + 1 :]), path.name


def test_the_headline_ends_at_the_default_recipe():
    last = list(_variant_configs(ROOT / "examples" / "headline.yaml").values())[-1]
    recipe = validate_config(load_yaml_file(DEFAULT_RECIPE), Config)
    assert last.model_dump(mode="json") == recipe.model_dump(mode="json")
    assert _params(last) == 37_034  # the README's number for the default recipe


def test_the_headline_steps_are_cumulative():
    # every step keeps the overrides of the step before it and adds at least one
    raw = load_yaml_file(ROOT / "examples" / "headline.yaml")
    steps = list(raw["compare"]["variants"].values())
    for before, after in zip(steps, steps[1:]):
        assert before.items() <= after.items()
        assert len(after) > len(before)


def test_the_documented_parameter_counts():
    # the counts quoted in examples/*.yaml comments and docs/experiments.md
    headline = _variant_configs(ROOT / "examples" / "headline.yaml")
    assert _params(headline["0 published CNN"]) == 7_710
    arch = {
        k: _params(c)
        for k, c in _variant_configs(ROOT / "examples" / "compare_architectures.yaml").items()
    }
    assert arch["separable"] < arch["bottleneck"] < arch["plain CNN"] < arch["stacked 3x3"]
