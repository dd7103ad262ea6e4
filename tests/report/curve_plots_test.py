import math
from pathlib import Path

from trainwise.report.curve_plots import best_epoch, loss_plot, lr_plot, main_metric, metric_plot
from trainwise.report.run_data import RunData, load_run


def rows(n, **extra):
    return [
        {"epoch": e, "loss": 1 / e, "val_loss": 2 / e if e != 2 else 0.1, **extra}
        for e in range(1, n + 1)
    ]


def test_main_metric_prefers_accuracy_then_mae_then_mse():
    assert main_metric([{"val_accuracy": 1, "mae": 2}]) == "accuracy"
    assert main_metric([{"mse": 1, "val_mae": 2}]) == "mae"
    assert main_metric([{"val_mse": 1}]) == "mse" and main_metric([{"loss": 1}]) is None


def test_best_epoch_from_summary_else_lowest_finite_val_loss():
    run = RunData(Path("x"), "x", metrics=rows(4))
    assert best_epoch(run) == 2
    run.summary = {"best_epoch": 3}
    assert best_epoch(run) == 3
    run = RunData(Path("x"), "x", metrics=[{"epoch": 1, "val_loss": math.nan}])
    assert best_epoch(run) is None


def test_curves_with_nan_and_inf_render(make_run, tmp_path):
    run = load_run(make_run(tmp_path / "r", nan_from=1))  # every loss NaN or inf
    p = loss_plot(run)
    assert p.uri and "best epoch 2" in p.caption
    assert metric_plot(run).uri


def test_no_metrics_gives_notes():
    run = RunData(Path("x"), "x", notes={"metrics": "no metrics.jsonl"})
    assert loss_plot(run).note == "no metrics.jsonl" and loss_plot(run).uri is None
    assert "no lr_steps.json" in lr_plot(run).note
    assert metric_plot(run).note


def test_lr_per_step_else_per_epoch():
    run = RunData(Path("x"), "x", lr_steps=[0.1, 0.01, 0.001])
    assert lr_plot(run).uri and "every optimizer step" in lr_plot(run).caption
    run = RunData(Path("x"), "x", metrics=rows(3, lr=0.01), notes={"lr_steps": "no lr_steps.json"})
    assert "end of each epoch" in lr_plot(run).caption
