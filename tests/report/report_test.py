"""write_report on run and comparison directories, and ``trainwise report DIR``."""

from __future__ import annotations

import base64
import io
import json
import re

import pytest
from PIL import Image

from trainwise.cli.main import main
from trainwise.errors import DataError
from trainwise.report import write_report, write_report_or_warn
from trainwise.run import load_config
from trainwise.run.session import run_config

EVIL = '<script>alert("x")</script>'


def images(html: str) -> dict[str, Image.Image]:
    """Every ``<figure class="plot" id=...>``'s embedded PNG, decoded."""
    out = {}
    for fid, data in re.findall(
        r'<figure class="plot" id="([\w-]+)">\s*<h3>[^<]*</h3>\s*'
        r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"',
        html,
    ):
        raw = base64.b64decode(data)
        assert raw[:8] == b"\x89PNG\r\n\x1a\n"
        out[fid] = Image.open(io.BytesIO(raw))
    return out


def assert_self_contained(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html.lower()  # no JavaScript at all, and none injected
    assert not re.search(r'(src|href)="(?!data:|#|trials/)', html)


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """A real 2-epoch run through run_config (circles, tiny), which writes report.html."""
    cfg = load_config(
        "examples/circles.yaml",
        [
            "data.n_samples=200",
            "training.epochs=2",
            "training.progress=off",
            "model.hidden=[8]",
            "model.activation=relu",
        ],
    )
    lines = []
    summary = run_config(cfg, tmp_path_factory.mktemp("real") / "run", echo=lines.append)
    return summary, lines


def test_run_config_writes_a_complete_self_contained_report(real_run):
    summary, lines = real_run
    path = summary["report"]
    assert path.endswith("report.html") and not any("warning" in str(x) for x in lines)
    html = open(path, encoding="utf-8").read()
    for section in ('id="summary-table"', 'id="findings"', 'id="curves"', 'id="gradients"'):
        assert section in html
    pngs = images(html)
    expected = {"plot-loss", "plot-metric", "plot-lr", "plot-grad-flow", "plot-grad-heatmap"}
    assert expected | {"plot-update-ratio", "plot-activations"} == set(pngs)
    for img in pngs.values():  # non-blank: a white image has a single colour
        assert img.size[0] >= 400 and len(img.convert("RGB").getcolors(1 << 20)) > 20
    assert_self_contained(html)
    assert "No problems found" in html or "card warning" in html or "card error" in html


def test_user_text_is_escaped(make_run, make_finding, tmp_path):
    bad = make_finding(message=EVIL, where=EVIL, fix={"text": EVIL, "overrides": {EVIL: EVIL}})
    run = make_run(tmp_path / "r", name=EVIL, findings=[bad], probes=False)
    html = write_report(run).read_text()
    assert "<script" not in html and "&lt;script&gt;" in html
    assert html.count("&lt;script&gt;") >= 5  # title, header, message, where, fix, config


def test_findings_cards_show_evidence_and_fix(make_run, make_finding, tmp_path):
    run = make_run(tmp_path / "r", findings=[make_finding()], probes=False, lr_find=True)
    html = write_report(run).read_text()
    findings = html[html.index('id="findings"') : html.index('id="curves"')]
    assert "lr_too_high" in findings and "card warning" in findings
    assert "epoch 2, step 40" in findings  # onset, epochs 1-based
    assert "0.3123" in findings and "--set optimizer.lr=0.05" in findings
    assert 'id="plot-lr-find"' in html and "plot-lr-find" in images(html)


def test_missing_optional_files_leave_notes_not_errors(make_run, tmp_path):
    run = make_run(tmp_path / "old", probes=False)
    (run / "lr_steps.json").unlink()
    (run / "summary.json").unlink()
    html = write_report(run).read_text()
    assert "no probes.jsonl" in html and "doctor was off" in html
    assert "LR at the end of each epoch" in html  # the per-epoch fallback
    assert "has not finished" in html
    assert {"plot-loss", "plot-metric", "plot-lr"} == set(images(html))


def test_only_metrics_jsonl_is_enough(tmp_path):
    (tmp_path / "metrics.jsonl").write_text('{"epoch": 1, "loss": 1.0}\n{"epoch": 2, "lo')
    html = write_report(tmp_path).read_text()
    assert "plot-loss" in images(html)


def test_nan_and_inf_metrics_plot(make_run, tmp_path):
    run = make_run(tmp_path / "nan", epochs=5, nan_from=3, probes=False)
    assert {"plot-loss", "plot-metric", "plot-lr"} == set(images(write_report(run).read_text()))


def test_regression_run_shows_mae(make_run, tmp_path):
    html = write_report(make_run(tmp_path / "reg", regression=True, probes=False)).read_text()
    assert "Mean absolute error" in html and "test mae" in html


def test_comparison_report(compare_dir):
    html = write_report(compare_dir).read_text()
    assert 'id="results"' in html and 'id="findings"' in html
    assert {"plot-cmp-val-loss", "plot-cmp-val-metric", "plot-cmp-train-loss"} == set(images(html))
    assert "+1.20 [+0.40, +2.00] p=0.02" in html and 'class="better"' in html
    assert "--set model.dropout=0.2" in html and "2 of 3" in html  # one trial failed
    assert 'href="trials/baseline/seed-0/report.html"' in html
    assert "lr_too_high 1/2" in html
    assert "min-max" in html
    assert_self_contained(html)


def test_neither_run_nor_comparison_raises_naming_the_expected_files(tmp_path):
    with pytest.raises(DataError, match="metrics.jsonl, summary.json, lr_find.json.*compare"):
        write_report(tmp_path)
    (tmp_path / "compare.json").write_text("{not json")
    with pytest.raises(DataError, match="not a valid comparison file"):
        write_report(tmp_path)


def test_report_command_exit_codes(small_run_dir, tmp_path, capsys):
    assert main(["report", str(small_run_dir)]) == 0
    assert capsys.readouterr().out.strip() == str(small_run_dir / "report.html")
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "compare.json" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as info:
        main(["report"])
    assert info.value.code == 2


def test_a_failing_report_is_a_warning_not_a_failed_run(tmp_path):
    said = []
    assert write_report_or_warn(tmp_path, said.append) is None
    assert len(said) == 1 and said[0].startswith("warning: could not write the HTML report")


def test_report_is_rewritten_not_appended(tmp_path):
    (tmp_path / "metrics.jsonl").write_text('{"epoch": 1, "loss": 1.0}\n')
    (tmp_path / "findings.json").write_text(json.dumps([{"code": "nan_loss", "message": "m"}]))
    first = write_report(tmp_path).read_text()
    (tmp_path / "findings.json").write_text(json.dumps([]))
    second = write_report(tmp_path).read_text()
    assert "nan_loss" in first and "nan_loss" not in second and "No problems found" in second
    assert not (tmp_path / "report.html.tmp").exists()
