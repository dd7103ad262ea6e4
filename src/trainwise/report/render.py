"""Jinja2 rendering of the report templates (``templates/*.html.j2``, package data).

Autoescaping is on for every template: run names, finding messages and config values are
user text and must never become markup. ``StrictUndefined`` turns a typo in a template into
an error in the tests instead of a silently empty section.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


@cache
def environment() -> Environment:
    """The shared Jinja2 environment (templates from the ``trainwise.report`` package)."""
    return Environment(
        loader=PackageLoader("trainwise.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: Any) -> str:
    """Render ``template`` (e.g. "run.html.j2") with ``context``.

    Example::

        html = render("run.html.j2", **run_context(load_run("runs/x")))
    """
    return environment().get_template(template).render(**context)
