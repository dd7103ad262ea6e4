import math

from matplotlib.figure import Figure

from trainwise.training.lr_find_figure import draw_lr_find, has_learning_rates

DATA = {
    "lrs": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1],
    "losses": [2.0, 1.5, 1.0, None, 9.0],
    "smoothed": [2.0, 1.6, 1.1, 1.5, 5.0],
    "suggestions": {"steepest": 1e-4, "valley": 3e-4, "min_div_10": None},
    "suggested": 3e-4,
}


def test_curve_suggestions_and_y_range_without_the_diverging_tail():
    fig = draw_lr_find(Figure(), DATA, title="LR range test")
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_title() == "LR range test"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [
        "loss (per batch)",
        "smoothed loss",
        "steepest 0.0001",
        "valley 0.0003",
        "suggested 0.0003",
    ]
    low, high = ax.get_ylim()
    assert low < 1.1 and high < 5.0  # the tail at 5.0 is cut off
    raw = ax.lines[0].get_ydata()
    assert math.isnan(raw[3])  # a null loss is a gap


def test_all_losses_missing_says_so():
    fig = draw_lr_find(Figure(), {"lrs": [1e-3], "losses": [None], "smoothed": [None]})
    assert [t.get_text() for t in fig.axes[0].texts] == ["no finite values to plot"]


def test_has_learning_rates():
    assert has_learning_rates(DATA)
    assert not has_learning_rates({}) and not has_learning_rates({"lrs": [0.0, None]})
