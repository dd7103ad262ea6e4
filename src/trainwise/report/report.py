"""``write_report(directory)``: the HTML report of a run or comparison directory."""

from __future__ import annotations

import os
from pathlib import Path

from trainwise import run_files
from trainwise.errors import DataError
from trainwise.report.compare_data import COMPARE_FILE, is_compare_dir, load_compare
from trainwise.report.compare_page import compare_context
from trainwise.report.render import render
from trainwise.report.run_data import RUN_MARKERS, is_run_dir, load_run
from trainwise.report.run_page import run_context

REPORT_FILE = run_files.REPORT


def write_report(directory: str | Path) -> Path:
    """Write ``report.html`` into ``directory`` and return its path.

    A directory with a compare.json gets the comparison report (results table, curves per
    variant, findings per variant); one with metrics.jsonl, summary.json or lr_find.json gets
    the run report (curves, LR schedule, gradient flow, dead/saturated units, findings, LR
    finder). Missing optional files leave a note in their panel. The file is self-contained
    (inline CSS, PNG plots as data: URIs, no script, no network) and written atomically.

    Raises :class:`~trainwise.errors.DataError` when ``directory`` is neither kind (naming
    the files looked for) or its compare.json is not valid JSON.

    Example::

        from trainwise.report import write_report
        write_report("runs/demo-20261123-101500")   # .../report.html
    """
    directory = Path(directory)
    if is_compare_dir(directory):
        try:
            data = load_compare(directory)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise DataError(
                f"{str(directory / COMPARE_FILE)!r} is not a valid comparison file ({exc}); "
                "allowed: the compare.json that 'trainwise compare' writes"
            ) from None
        html = render("compare.html.j2", **compare_context(data))
    elif is_run_dir(directory):
        html = render("run.html.j2", **run_context(load_run(directory)))
    else:
        what = "is neither a run nor a comparison directory"
        if not directory.exists():
            what = "does not exist"
        raise DataError(
            f"report: {str(directory)!r} {what}; expected a run directory (with any of "
            f"{', '.join(RUN_MARKERS)}) or a comparison directory (with {COMPARE_FILE})"
        )
    out = directory / REPORT_FILE
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out)  # a browser reloading the page never sees half a file
    return out


def write_report_or_warn(directory: str | Path, echo=print) -> str | None:
    """:func:`write_report` at the end of a run or comparison, whose results are already
    saved: a failure here (a bug, a full disk) is a one-line warning through ``echo``, never
    a failed run. Returns the report's path, or None. Costs ~1 s of matplotlib."""
    try:
        return str(write_report(directory))
    except Exception as exc:  # noqa: BLE001 - see the docstring
        echo(f"warning: could not write the HTML report: {type(exc).__name__}: {exc}")
        return None
