import json

import pytest

from trainwise.errors import CheckpointError, ConfigError
from trainwise.experiments.comparison.plan import (
    check_plan,
    compare_root,
    make_plan,
    slugify,
    trial_specs,
)
from trainwise.experiments.comparison.variants import Variant, variant_configs
from trainwise.run.schema import Config


def test_slugs_are_folder_safe_unique_and_stable():
    names = ["baseline", "+dropout 0.2", "+Dropout 0.2", "model.hidden=[8, 8]", "+++", "a/b"]
    slugs = slugify(names)
    assert slugs == {
        "baseline": "baseline",
        "+dropout 0.2": "dropout-0.2",
        "+Dropout 0.2": "dropout-0.2-2",
        "model.hidden=[8, 8]": "model.hidden=-8-8",
        "+++": "variant-5",
        "a/b": "a-b",
    }
    assert slugify(names) == slugs


def _variants():
    vs = [Variant("baseline", {}), Variant("+dropout", {"model.dropout": 0.2})]
    return vs, variant_configs({"seed": 7}, vs)


def test_seed_trials_are_seed_major_with_the_seed_set_and_progress_off():
    vs, cfgs = _variants()
    specs = trial_specs(vs, cfgs, [7, 8], None)
    assert [(s.variant, s.seed, s.fold, s.dir) for s in specs] == [
        ("baseline", 7, None, "trials/baseline/seed-7"),
        ("+dropout", 7, None, "trials/dropout/seed-7"),
        ("baseline", 8, None, "trials/baseline/seed-8"),
        ("+dropout", 8, None, "trials/dropout/seed-8"),
    ]
    assert [s.config.seed for s in specs] == [7, 7, 8, 8]
    assert {s.config.training.progress for s in specs} == {"off"}
    assert specs[3].config.model.dropout == 0.2 and specs[2].config.model.dropout == 0.0
    assert cfgs["baseline"].seed == 7 and cfgs["baseline"].training.progress == "auto"


def test_fold_trials_keep_the_config_seed():
    vs, cfgs = _variants()
    specs = trial_specs(vs, cfgs, None, 3)
    assert [(s.seed, s.fold, s.folds) for s in specs[:3]] == [(7, 1, 3), (7, 1, 3), (7, 2, 3)]
    assert specs[-1].dir == "trials/dropout/fold-3" and specs[-1].label == "+dropout fold 3"


def test_plan_is_written_then_must_match(tmp_path):
    vs, _ = _variants()
    plan = make_plan(vs, [0, 1], None, Config().model_dump(mode="json"))
    assert check_plan(tmp_path, plan) is False
    saved = json.loads((tmp_path / "plan.json").read_text())
    assert [v["slug"] for v in saved["variants"]] == ["baseline", "dropout"]
    assert check_plan(tmp_path, plan) is True  # the same plan: resume

    more_seeds = make_plan(vs, [0, 1, 2], None, Config().model_dump(mode="json"))
    with pytest.raises(ConfigError, match=r"seeds: saved \[0, 1\]; now \[0, 1, 2\]"):
        check_plan(tmp_path, more_seeds)
    other = [vs[0], Variant("+dropout", {"model.dropout": 0.3})]
    with pytest.raises(ConfigError, match="variants"):
        check_plan(tmp_path, make_plan(other, [0, 1], None, Config().model_dump(mode="json")))
    cfg = Config.model_validate({"optimizer": {"lr": 0.5}}).model_dump(mode="json")
    with pytest.raises(ConfigError, match=r"optimizer.lr \(0.001 -> 0.5\)"):
        check_plan(tmp_path, make_plan(vs, [0, 1], None, cfg))


def test_root_is_out_dir_or_a_new_or_the_newest_comparison(tmp_path):
    cfg = Config.model_validate({"output": {"dir": str(tmp_path), "name": "single-run"}})
    assert compare_root(cfg, tmp_path / "mine", "x", False) == tmp_path / "mine"
    new = compare_root(cfg, None, "x", False)
    assert new.parent == tmp_path and new.name.startswith("compare-x-")  # output.name unused
    assert compare_root(cfg, None, "x", True) == new
    with pytest.raises(CheckpointError, match="no comparison of 'compare-y'"):
        compare_root(cfg, None, "y", True)
