"""The reports in a real browser: headless Chromium (Debian's package, installed by `make
browser`, which `make test` runs first) loads the demo's report and a comparison report over
the DevTools protocol (tests/report/cdp.py), and the page must load without console errors,
show every plot as a decoded, non-blank image, and show the findings and the table.

TRAINWISE_SCREENSHOT=docs/img/report.png saves the demo report's screenshot there (how the
README's picture is made; not done on ordinary runs).
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from trainwise.report import write_report

# What the page looks like from the inside: for every figure.plot its image drawn into a
# canvas (a sample of its pixels: how many distinct colours), and whether the findings and
# tables take up space and hold text.
INSPECT = """(() => {
  const pixels = img => {
    const c = document.createElement("canvas");
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const ctx = c.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4 * 5) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return colours.size;
  };
  const box = sel => {
    const e = document.querySelector(sel);
    return e ? {height: e.offsetHeight, text: e.innerText.trim()} : null;
  };
  const figures = {};
  for (const f of document.querySelectorAll("figure.plot")) {
    const img = f.querySelector("img");
    figures[f.id] = img
      ? {complete: img.complete, width: img.naturalWidth, shown: img.offsetHeight,
         colours: pixels(img)}
      : {note: f.innerText};
  }
  return {figures, findings: box("#findings"), summary: box("#summary-table"),
          results: box("#results"), title: document.title};
})()"""


def inspect_page(browser, html: Path) -> tuple[dict, Image.Image]:
    page = browser.open(html.resolve().as_uri())
    seen = page.evaluate(INSPECT)
    shot = Image.open(io.BytesIO(page.screenshot()))
    shot.load()  # decodes the whole PNG: a broken one raises here
    assert page.errors() == []
    return seen, shot


def assert_plots_drawn(figures: dict, expected: set[str]) -> None:
    drawn = {k for k, v in figures.items() if "note" not in v}
    assert expected <= drawn, f"missing plots: {expected - drawn}"
    for fid in drawn:
        f = figures[fid]
        assert f["complete"] and f["width"] >= 400 and f["shown"] > 100, (fid, f)
        assert f["colours"] > 20, f"{fid} looks blank ({f['colours']} colours)"


def assert_screenshot_not_uniform(shot: Image.Image) -> None:
    assert shot.width >= 1000 and shot.height > 1500
    colours = shot.convert("RGB").resize((shot.width // 4, shot.height // 4)).getcolors(1 << 20)
    assert colours is not None and len(colours) > 100


def test_demo_report_in_headless_chromium(browser, demo_run_dir):
    seen, shot = inspect_page(browser, demo_run_dir / "report.html")
    assert_plots_drawn(
        seen["figures"],
        {
            "plot-loss",
            "plot-metric",
            "plot-lr",
            "plot-grad-flow",
            "plot-grad-heatmap",
            "plot-update-ratio",
        },
    )
    # the default recipe uses GELU: the dead/saturated panel explains why it is empty
    assert "this model uses gelu" in seen["figures"]["plot-activations"]["note"]
    findings = seen["findings"]["text"]
    assert seen["findings"]["height"] > 0
    assert "No problems found" in findings or "Fix:" in findings, findings
    assert seen["summary"]["height"] > 0 and "test accuracy" in seen["summary"]["text"]
    assert_screenshot_not_uniform(shot)
    target = os.environ.get("TRAINWISE_SCREENSHOT")
    if target:  # the README's picture: the full page at 2/3 scale keeps it ~0.5 MB
        small = shot.convert("RGB").resize(
            (shot.width * 2 // 3, shot.height * 2 // 3), Image.LANCZOS
        )
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        small.save(target, optimize=True)


def test_comparison_report_in_headless_chromium(browser, compare_dir):
    seen, shot = inspect_page(browser, write_report(compare_dir))
    assert_plots_drawn(
        seen["figures"], {"plot-cmp-val-loss", "plot-cmp-val-metric", "plot-cmp-train-loss"}
    )
    results = seen["results"]
    assert results["height"] > 0 and "+dropout 0.2" in results["text"] and "Δ" in results["text"]
    assert seen["findings"]["height"] > 0 and "lr_too_high" in seen["findings"]["text"]
    assert_screenshot_not_uniform(shot)


def test_a_broken_image_is_caught(browser, tmp_path):
    """The checks can fail: a page with a blank plot and a script error is reported."""
    blank = Image.new("RGB", (600, 300), "white")
    buf = io.BytesIO()
    blank.save(buf, format="PNG")
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    page = tmp_path / "bad.html"
    page.write_text(
        f'<figure class="plot" id="plot-x"><img src="{uri}"></figure>'
        "<script>console.error('boom'); undefinedFunction();</script>"
    )
    opened = browser.open(page.as_uri())
    seen = opened.evaluate(INSPECT)
    assert seen["figures"]["plot-x"]["colours"] == 1
    with pytest.raises(AssertionError, match="looks blank"):
        assert_plots_drawn(seen["figures"], {"plot-x"})
    errors = opened.errors()
    assert any("boom" in e for e in errors) and any("exception" in e for e in errors)
