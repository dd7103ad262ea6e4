import pytest
from jinja2 import UndefinedError

from trainwise.report.plot import Plot
from trainwise.report.render import environment, render


def test_templates_are_package_data_and_autoescaped():
    env = environment()
    assert {"base.html.j2", "run.html.j2", "compare.html.j2", "macros.html.j2"} <= set(
        env.list_templates()
    )
    html = env.from_string("{{ x }}").render(x="<b>&</b>")
    assert html == "&lt;b&gt;&amp;&lt;/b&gt;"


def test_run_template_renders_plots_and_notes():
    html = render(
        "run.html.j2",
        title="t",
        name="<i>run</i>",
        date=None,
        facts=[("k", "v")],
        curves=[Plot("plot-a", "A", "cap", uri="data:image/png;base64,AAAA")],
        probes=[Plot("plot-b", "B", note="nothing <here>")],
        findings=[],
        findings_note=None,
        lr_find=None,
        config_yaml=None,
    )
    assert (
        '<figure class="plot" id="plot-a">' in html and 'src="data:image/png;base64,AAAA"' in html
    )
    assert "nothing &lt;here&gt;" in html and "&lt;i&gt;run&lt;/i&gt;" in html
    assert "No problems found" in html and 'id="lr-find"' not in html


def test_missing_context_is_an_error_not_an_empty_section():
    with pytest.raises(UndefinedError):
        render("run.html.j2", title="t", name="n")
