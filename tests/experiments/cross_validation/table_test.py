from trainwise.experiments.cross_validation.from_config import cv_report
from trainwise.experiments.cross_validation.table import format_table
from trainwise.experiments.stats import mean_std

ROWS = [
    {"fold": 1, "epochs": 3, "val_accuracy": 0.9, "val_log_loss": 0.31234},
    {"fold": 2, "epochs": 3, "val_accuracy": 0.8, "val_log_loss": 0.41},
]


def test_one_line_per_fold_then_mean_and_std_as_the_comparison_writes_them():
    mean, std = mean_std(ROWS)
    lines = format_table(ROWS, mean, std).splitlines()
    assert lines[0].split() == ["fold", "epochs", "val_accuracy", "(%)", "val_log_loss"]
    assert set(lines[1]) == {"-", " "} and lines[1] == lines[4]
    assert lines[2].split() == ["1", "3", "90.00", "0.3123"]
    assert lines[3].split() == ["2", "3", "80.00", "0.4100"]  # the column's decimals
    assert lines[5].split()[:2] == ["mean", "±"]
    assert "85.00 ± 7.07" in lines[5] and "0.3612 ± 0.0691" in lines[5]
    assert "3.000 ± 0.000" in lines[5]
    assert len({len(line) for line in lines}) == 1  # right-aligned columns


def test_cv_report_has_the_table_and_the_scores_with_units():
    mean, std = mean_std(ROWS)
    text = cv_report(
        {
            "folds": 2,
            "stratified": True,
            "per_fold": [{**r, "run_dir": f"cv/fold-{r['fold']}"} for r in ROWS],
            "mean": mean,
            "std": std,
            "oof": {"accuracy": 0.85, "log_loss": 0.36117},
            "ensemble_test": {"test_accuracy": 0.875, "test_log_loss": 0.3},
            "run_dir": "cv",
        }
    )
    assert text.startswith("2-fold cross-validation (stratified)\n")
    assert "cv/fold-1" not in text and "mean ± std" in text
    assert "out-of-fold: accuracy 85.00%, log_loss 0.3612" in text
    assert "ensemble of the fold models: test_accuracy 87.50%, test_log_loss 0.3000" in text
    assert text.endswith("run directory: cv (cv.json, oof.npz, fold-*/)")
