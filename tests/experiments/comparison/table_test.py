import csv

import pytest
from rich.console import Console

from trainwise.experiments.comparison.table import print_table, table_rows, to_markdown, write_csv


def _results():
    def var(name, acc, loss, diff=None):
        return {
            "name": name,
            "overrides": {},
            "trials": [{"status": "done"}, {"status": "done"}, {"status": "failed"}],
            "stats": {
                "test_accuracy": {
                    "mean": acc,
                    "std": 0.01,
                    "n": 2,
                    "ci95": [acc - 0.05, acc + 0.05],
                },
                "val_loss": {
                    "mean": loss,
                    "std": 0.002,
                    "n": 2,
                    "ci95": [loss - 0.01, loss + 0.01],
                },
            },
            "diff": diff or {},
            "wall_seconds": {"mean": 12.06, "total": 24.1},
        }

    diff = {"test_accuracy": {"mean": 0.02, "std": 0.0, "n": 2, "ci95": [0.01, 0.03], "p": 0.04}}
    return {
        "baseline": "baseline",
        "metrics": ["test_accuracy", "val_loss"],
        "seeds": [0, 1, 2],
        "folds": None,
        "variants": [var("baseline", 0.9, 0.31), var("+a|b", 0.92, 0.3, diff)],
    }


def test_table_rows_first_metric_diff_only():
    headers, rows = table_rows(_results())
    assert headers == [
        "Variant",
        "test_accuracy (%)",
        "val_loss",
        "Δ test_accuracy (pp)",
        "trials",
        "wall time",
    ]
    assert rows[0] == [
        "baseline",
        "90.00 ± 1.00 [85.00, 95.00]",
        "0.3100 ± 0.0020 [0.3000, 0.3200]",
        "baseline",
        "2/3",
        "12.1 s",
    ]
    assert rows[1][3] == "+2.00 [+1.00, +3.00] p=0.04"


def test_markdown_escapes_pipes_and_has_a_caption():
    md = to_markdown(_results())
    lines = md.splitlines()
    assert (
        lines[0].startswith("| Variant | test_accuracy (%) |")
        and lines[1] == "|---|---|---|---|---|---|"
    )
    assert lines[3].startswith("| +a\\|b | 92.00 ± 1.00")
    assert "over 3 seeds" in md and "paired by seed" in md


def test_printed_table_and_csv(tmp_path):
    console = Console(record=True, width=200)
    print_table(_results(), console=console)
    text = console.export_text()
    assert "Δ test_accuracy (pp)" in text and "[+1.00, +3.00] p=0.04" in text
    assert "90.00 ± 1.00" in text and "[85.00, 95.00]" in text and "90.00 ± 1.00 [" not in text
    write_csv(_results(), tmp_path / "c.csv")
    rows = list(csv.DictReader(open(tmp_path / "c.csv")))
    assert [r["variant"] for r in rows] == ["baseline", "+a|b"]
    assert rows[1]["diff_test_accuracy_p"] == "0.04" and rows[0]["diff_test_accuracy_p"] == ""
    assert float(rows[0]["test_accuracy_ci95_lo"]) == pytest.approx(0.85)
    assert (rows[0]["done"], rows[0]["trials"], rows[0]["baseline"]) == ("2", "3", "True")
