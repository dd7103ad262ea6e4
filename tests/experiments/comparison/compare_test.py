import json

import pytest

from trainwise.errors import ConfigError
from trainwise.experiments.comparison.compare import compare

TINY = """
seed: 0
data: {name: circles, n_samples: 200, validation_split: 0.25, split: stratified}
model: {name: mlp, hidden: [8], activation: tanh, norm: none}
optimizer: {name: adam, lr: 0.02}
training: {epochs: 2, batch_size: 32}
doctor: false
compare:
  variants:
    baseline:
    +batchnorm: {model.norm: batch}
    +cnn: {model.name: cnn}
  seeds: 2
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_yaml_variants_run_resume_and_record_a_failure(config, tmp_path):
    lines = []
    out = tmp_path / "cmp"
    r = compare(config, out_dir=out, workers=1, echo=lines.append)
    # +cnn cannot take tabular inputs: both its trials fail, the other four still run
    assert r.failed == 2 and not r.interrupted and r.dir == out
    res = json.loads((out / "compare.json").read_text())
    assert res == json.loads(json.dumps(r.results))
    assert res["baseline"] == "baseline" and res["seeds"] == [0, 1]
    assert res["metrics"] == ["test_accuracy", "val_accuracy", "val_loss"]
    assert [v["name"] for v in res["variants"]] == ["baseline", "+batchnorm", "+cnn"]
    cnn = r.variant("+cnn")
    assert [t["status"] for t in cnn["trials"]] == ["failed", "failed"]
    assert cnn["trials"][0]["error"].startswith("ModelError: model.name: 'cnn'")
    assert cnn["stats"]["test_accuracy"]["n"] == 0 and cnn["diff"]["test_accuracy"]["n"] == 0
    bn = r.variant("+batchnorm")
    assert bn["overrides"] == {"model.norm": "batch"}
    assert [t["dir"] for t in bn["trials"]] == [
        "trials/batchnorm/seed-0",
        "trials/batchnorm/seed-1",
    ]
    assert bn["stats"]["test_accuracy"]["n"] == 2 and bn["diff"]["test_accuracy"]["n"] == 2
    # the trial runs really are the variant with the seed, progress off
    run_cfg = (out / "trials/batchnorm/seed-1/config.yaml").read_text()
    assert "seed: 1" in run_cfg and "norm: batch" in run_cfg and "progress: 'off'" in run_cfg
    assert lines[0] == "3 variant(s) x 2 seed(s) = 6 trials -> " + str(out)
    assert lines[1].startswith("[1/6] baseline seed 0: test_accuracy ")
    assert lines[3].startswith("[3/6] +cnn seed 0: FAILED ModelError")
    for name in ("plan.json", "compare.csv", "compare.md"):
        assert (out / name).is_file()
    html = (out / "report.html").read_text()  # the comparison's report: table + curves
    assert 'id="results"' in html and "+batchnorm" in html.replace("&#43;", "+")

    # the same command again: nothing finished reruns, failed trials are retried
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("trials/*/seed-*/summary.json")}
    assert len(stamps) == 4
    lines.clear()
    again = compare(config, out_dir=out, workers=1, echo=lines.append)
    assert {p: p.stat().st_mtime_ns for p in out.glob("trials/*/seed-*/summary.json")} == stamps
    assert sum("finished earlier" in x for x in lines) == 4 and again.failed == 2
    assert again.variant("+batchnorm")["stats"] == bn["stats"]

    # another plan in the same folder is refused before anything runs
    with pytest.raises(ConfigError, match=r"seeds: saved \[0, 1\]; now \[0, 1, 2\]"):
        compare(config, out_dir=out, seeds=3, workers=1, echo=lines.append)


def test_a_bad_variant_fails_before_any_trial(config, tmp_path):
    out = tmp_path / "never"
    variants = {"baseline": {}, "+typo": {"model.dropuot": 0.2}, "+lr": {"optimizer.lr": "fast"}}
    with pytest.raises(ConfigError) as info:
        compare(config, variants=variants, out_dir=out, workers=1, echo=lambda *_: None)
    msg = str(info.value)
    assert "variant '+typo': model.dropuot: unknown key; did you mean 'model.dropout'" in msg
    assert "variant '+lr': optimizer.lr: 'fast' is not allowed" in msg
    assert not out.exists()
    with pytest.raises(ConfigError, match="vary"):
        compare(config, vary=["model.norm=batch"], variants={"a": {}}, out_dir=out)
    with pytest.raises(ConfigError, match="seeds: 2 and folds: 2 given together"):
        compare(config, seeds=2, folds=2, out_dir=out)
    with pytest.raises(ConfigError, match="did you mean 'val_accuracy'"):
        compare(config, metrics=["val_acc"], out_dir=out)
    with pytest.raises(ConfigError, match="workers: 0 is not allowed"):
        compare(config, workers=0, out_dir=out)
    assert not out.exists()


def test_vary_with_folds_pairs_by_fold_and_picks_the_unchanged_baseline(config, tmp_path):
    r = compare(
        config,
        vary=["model.hidden=[4],[8]"],
        folds=2,
        metrics=["val_accuracy", "final_val_loss"],
        out_dir=tmp_path / "cv",
        workers=1,
        echo=lambda *_: None,
    )
    res = r.results
    assert res["baseline"] == "model.hidden=[8]"  # the config unchanged, though not first
    assert (res["seeds"], res["folds"], res["metrics"]) == (
        [0],
        2,
        ["val_accuracy", "final_val_loss"],
    )
    trials = r.variant("model.hidden=[4]")["trials"]
    assert [(t["seed"], t["fold"], t["dir"]) for t in trials] == [
        (0, 1, "trials/model.hidden=-4/fold-1"),
        (0, 2, "trials/model.hidden=-4/fold-2"),
    ]
    assert all(t["metrics"]["final_val_loss"] is not None for t in trials)
    assert r.variant("model.hidden=[4]")["diff"]["val_accuracy"]["n"] == 2
    assert "over 2 folds" in (r.dir / "compare.md").read_text()


def test_the_ray_backend_without_ray_says_how_to_install_it(config, tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "ray", None)  # as if Ray were not installed
    out = tmp_path / "never"
    with pytest.raises(ConfigError, match=r"pip install trainwise\[ray\]"):
        compare(config, out_dir=out, backend="ray", echo=lambda *_: None)
    assert not out.exists()
