import base64
import io
import math

from PIL import Image

from trainwise.report.plot import any_finite, empty, new_figure, panel, positive_or_nan, to_data_uri


def test_figure_becomes_a_decodable_png_data_uri():
    fig = new_figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    uri = to_data_uri(fig)
    img = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert img.format == "PNG" and img.size == (700, 360)
    assert len(img.convert("RGB").getcolors(1 << 20)) > 10  # drawn, not blank


def test_panel_and_empty():
    p = panel("plot-a", "A", new_figure(), "cap")
    assert p.uri.startswith("data:image/png;base64,") and p.note is None and p.caption == "cap"
    e = empty("plot-b", "B", "nothing here")
    assert e.uri is None and e.note == "nothing here"


def test_finite_helpers():
    assert any_finite([math.nan, 2]) and not any_finite([math.nan, math.inf, None])
    out = positive_or_nan([1.0, 0.0, -1.0, math.inf, None])
    assert out[0] == 1.0 and all(math.isnan(v) for v in out[1:])
