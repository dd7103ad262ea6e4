import json

import pytest

from trainwise.report.compare_data import is_compare_dir, load_compare


def test_reads_compare_json_and_each_trial(compare_dir):
    data = load_compare(compare_dir)
    assert data.baseline == "baseline" and data.metrics == ["test_accuracy", "val_loss"]
    assert [v.name for v in data.variants] == ["baseline", "+dropout 0.2"]
    base, drop = data.variants
    assert [t.label for t in base.trials] == ["seed 0", "seed 1"]
    assert [len(t.metrics) for t in base.trials] == [3, 4]
    assert base.trials[0].report_href == "trials/baseline/seed-0/report.html"
    assert base.trials[1].report_href is None  # no report.html there: no link
    failed = drop.trials[-1]
    assert failed.status == "failed" and failed.metrics is None and failed.findings is None
    assert drop.trials[0].findings[0]["code"] == "lr_too_high"
    assert drop.diff["test_accuracy"]["p"] == 0.02 and drop.overrides == {"model.dropout": 0.2}


def test_folds_label_trials_by_fold(tmp_path):
    trial = {"seed": 0, "fold": 2, "dir": "trials/a/fold-2", "status": "done"}
    spec = {"variants": [{"name": "a", "trials": [trial]}], "folds": 3}
    (tmp_path / "compare.json").write_text(json.dumps(spec))
    data = load_compare(tmp_path)
    assert data.variants[0].trials[0].label == "fold 2" and data.folds == 3


def test_not_json_raises_value_error(tmp_path):
    assert not is_compare_dir(tmp_path)
    (tmp_path / "compare.json").write_text("[1, 2]")
    assert is_compare_dir(tmp_path)
    with pytest.raises(ValueError, match="not an object"):
        load_compare(tmp_path)
