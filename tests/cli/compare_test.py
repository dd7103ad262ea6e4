import json

import pytest

from trainwise.cli.main import main

TINY = """
data: {name: circles, n_samples: 200, validation_split: 0.25, split: stratified}
model: {name: mlp, hidden: [8], activation: tanh, norm: none}
optimizer: {name: adam, lr: 0.02}
training: {epochs: 2, batch_size: 32}
doctor: false
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return str(path)


def test_compare_prints_and_saves_the_table(config, tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(
        ["compare", config, "--vary", "model.norm=none,batch", "--seeds", "2"]
        + ["--workers", "1", "--out", str(out), "--metrics", "test_accuracy, val_loss"]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "2 variant(s) x 2 seed(s) = 4 trials" in printed
    assert "[4/4] model.norm=batch seed 1: test_accuracy" in printed
    for needle in ("Variant", "test_accuracy (%)", "val_loss", "Δ test_accuracy (pp)", "baseline"):
        assert needle in printed
    assert f"results: {out / 'compare.json'}" in printed
    res = json.loads((out / "compare.json").read_text())
    assert res["baseline"] == "model.norm=none"  # the config unchanged
    assert res["metrics"] == ["test_accuracy", "val_loss"]
    assert [v["name"] for v in res["variants"]] == ["model.norm=none", "model.norm=batch"]
    md = (out / "compare.md").read_text()
    assert md.startswith("| Variant | test_accuracy (%) | val_loss | Δ test_accuracy (pp) |")
    row = next(x for x in md.splitlines() if x.startswith("| model.norm=batch |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    for cell in (cells[1], cells[3]):  # the same numbers as printed (interval on line 2)
        first, _, interval = cell.partition(" [")
        assert first in printed and "[" + interval in printed
    assert cells[3].startswith(("+", "-"))


def test_bad_variant_exits_2_naming_variant_and_key(config, tmp_path, capsys):
    code = main(["compare", config, "--vary", "model.nrom=batch", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2
    assert "variant 'model.nrom=batch': model.nrom: unknown key; did you mean 'model.norm'" in err
    assert not (tmp_path / "x").exists()
    assert main(["compare", config, "--vary", "seed=1,2"]) == 2
    assert "cannot be varied" in capsys.readouterr().err


def test_a_failed_trial_exits_1_after_the_others_ran(config, tmp_path, capsys):
    out = tmp_path / "cmp"
    args = ["compare", config, "--vary", "model.name=mlp,cnn", "--seeds", "1", "--workers", "1"]
    code = main(args + ["--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    assert "1 trial(s) failed" in captured.err
    statuses = [
        t["status"]
        for v in json.loads((out / "compare.json").read_text())["variants"]
        for t in v["trials"]
    ]
    assert statuses == ["done", "failed"]


def test_backend_options_reach_compare(config, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "ray", None)  # as if Ray were not installed
    out = tmp_path / "x"
    assert main(["compare", config, "--backend", "ray", "--out", str(out)]) == 2
    assert "backend: 'ray' needs Ray, which is not installed" in capsys.readouterr().err
    assert main(["compare", config, "--address", "auto", "--out", str(out)]) == 2
    assert "address: 'auto' is only used with backend 'ray'" in capsys.readouterr().err
    assert not out.exists()
