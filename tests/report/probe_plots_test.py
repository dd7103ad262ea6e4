import math
from pathlib import Path

from trainwise.report.probe_plots import (
    _layer_lines,
    activation_plot,
    grad_heatmap_plot,
    layer_series,
    probe_plots,
)
from trainwise.report.run_data import RunData, load_run


def test_layer_series_keeps_forward_order_and_fills_gaps():
    probes = [{"grad_norm": {"b": 1.0, "a": None}}, {"grad_norm": {"c": 3.0}}, {}]
    s = layer_series(probes, "grad_norm")
    assert list(s) == ["b", "a", "c"]
    assert s["b"][0] == 1.0 and all(math.isnan(v) for v in s["b"][1:])
    assert math.isnan(s["a"][0]) and s["c"][1] == 3.0


def test_all_four_panels_from_a_probe_history(run_dir):
    plots = probe_plots(load_run(run_dir))
    assert [p.id for p in plots] == [
        "plot-grad-flow",
        "plot-grad-heatmap",
        "plot-update-ratio",
        "plot-activations",
    ]
    assert all(p.uri for p in plots)
    assert "healthy band 0.0001-0.01" in plots[2].caption


def test_no_probes_is_one_note():
    run = RunData(Path("x"), "x", notes={"probes": "no probes.jsonl: the doctor was off"})
    (only,) = probe_plots(run)
    assert only.uri is None and "doctor was off" in only.note


def test_activation_panel_explains_models_without_relu_sigmoid_tanh():
    probes = [{"step": 0, "dead": {}, "saturated": {}}]
    p = activation_plot(probes, "gelu")
    assert p.uri is None and "(this model uses gelu)" in p.note
    assert "none were found" in activation_plot(probes, None).note
    both = [{"step": 0, "dead": {"a": 0.5}, "saturated": {"t": 0.1}}]
    assert activation_plot(both, "relu").uri


def test_many_layers_get_a_colour_bar_instead_of_a_legend():
    probes = [
        {"step": i, "grad_norm": {f"l{k}.weight": 0.1 * (k + 1) for k in range(12)}}
        for i in range(3)
    ]
    fig = _layer_lines(probes, layer_series(probes, "grad_norm"), "norm")
    assert len(fig.axes) == 2 and fig.axes[0].get_legend() is None
    few = _layer_lines(probes[:1], {"a": [1.0]}, "norm")
    assert len(few.axes) == 1 and few.axes[0].get_legend() is not None


def test_heatmap_with_only_zero_gradients_still_renders():
    probes = [{"step": i, "grad_norm": {"a": 0.0, "b": None}} for i in range(3)]
    assert grad_heatmap_plot(probes).uri
