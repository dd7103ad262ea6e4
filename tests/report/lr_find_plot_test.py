from trainwise.report.lr_find_plot import lr_find_plot


def test_lr_finder_curve_with_suggestions_and_null_losses():
    data = {
        "lrs": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1],
        "losses": [2.0, 1.5, 1.0, None, 9.0],
        "smoothed": [2.0, 1.6, 1.1, 1.5, 5.0],
        "suggestions": {"steepest": 1e-4, "valley": 3e-4, "min_div_10": None},
        "suggested": 3e-4,
        "message": "suggested LR 3e-4",
    }
    p = lr_find_plot(data)
    assert p.id == "plot-lr-find" and p.uri and p.caption == "suggested LR 3e-4"


def test_no_learning_rates_is_a_note():
    assert lr_find_plot({"lrs": []}).note and lr_find_plot({}).uri is None
    assert lr_find_plot({"lrs": [1e-3], "losses": [None], "smoothed": [None]}).uri
