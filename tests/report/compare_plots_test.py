import math

import numpy as np

from trainwise.report.compare_data import TrialData, VariantData, load_compare
from trainwise.report.compare_plots import band_plot, compare_plots, epoch_matrix


def variant(*runs):
    trials = [TrialData(f"seed {i}", "done", None, metrics=m) for i, m in enumerate(runs)]
    return VariantData("v", {}, trials, {}, {}, {})


def test_epoch_matrix_pads_shorter_trials_with_nan():
    v = variant(
        [{"loss": 3.0}, {"loss": 2.0}],
        [{"loss": 1.0}, {"loss": math.inf}, {"loss": 0.5}],
        None,  # a failed trial has no metrics and is left out
    )
    epochs, values = epoch_matrix(v, "loss")
    assert epochs.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(values, [[3.0, 2.0, np.nan], [1.0, np.nan, 0.5]])


def test_comparison_curves(compare_dir):
    plots = compare_plots(load_compare(compare_dir))
    assert [p.id for p in plots] == [
        "plot-cmp-val-loss",
        "plot-cmp-val-metric",
        "plot-cmp-train-loss",
    ]
    assert all(p.uri for p in plots) and "min-max" in plots[0].caption
    assert plots[1].title == "Validation accuracy"


def test_no_trial_curves_is_a_note(compare_dir):
    data = load_compare(compare_dir)
    for v in data.variants:
        for t in v.trials:
            t.metrics = None
    p = band_plot(data, "val_loss", "plot-cmp-val-loss", "Validation loss")
    assert p.uri is None and "no trial logged val_loss" in p.note
