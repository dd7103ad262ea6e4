"""The doctor's findings as text blocks for a terminal or a log (``trainwise doctor``).

One block per finding, not a table: a table at 80 columns leaves each column about 15
characters, which breaks ``--set optimizer.lr=0.0086`` across lines (it can no longer be
copied) and turns messages into tall strips. A block reads the same at any width::

    1. WARNING lr_too_high
       where: epoch 3, step 40 · features.dense1
       The learning rate 5.0 is too high: the updates are 30% of the weights ... (a
       paragraph, wrapped to the terminal's width)
       fix: lower the learning rate 10x
       --set optimizer.lr=0.0086 --set schedule.name=cosine

The ``--set`` line is never wrapped (``soft_wrap``): a terminal folds it on screen only and
copies it whole, a log keeps it on one line. Works on ``Finding.to_dict()`` dicts, the form
findings.json and ``trainwise doctor --json`` hold.
"""

from __future__ import annotations

import json
import shlex
import textwrap
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.text import Text

from trainwise.vocabulary import format_number

#: The style of each severity's heading (no colour in a log: rich drops it there).
SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "bold cyan"}

#: Blocks are indented this much under their heading.
INDENT = 3


def override_text(key: str, value: Any) -> str:
    """One override as the command line takes it: ``--set key=value``, the value in the
    spelling ``--set`` parses back (YAML booleans, lists without spaces, shell quoting where
    needed), floats to 3 significant digits.

    Example::

        >>> override_text("optimizer.lr", 0.008634), override_text("model.hidden", [64, 64])
        ('--set optimizer.lr=0.00863', "--set 'model.hidden=[64,64]'")
    """
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, float):
        text = format_number(value)
    elif value is None:
        text = "null"
    elif isinstance(value, (list, tuple, dict)):
        text = json.dumps(value, separators=(",", ":"), default=str)
    else:
        text = str(value)
    return "--set " + shlex.quote(f"{key}={text}")


def overrides_line(overrides: dict[str, Any]) -> str:
    """Every override of a fix on one line, ready to paste after ``trainwise run CONFIG``.

    >>> overrides_line({"optimizer.lr": 0.003, "training.grad_clip_norm": 1.0})
    '--set optimizer.lr=0.003 --set training.grad_clip_norm=1'
    """
    return " ".join(override_text(k, v) for k, v in overrides.items())


def where_and_when(finding: dict[str, Any]) -> str:
    """When in training (epoch, step) and where (layer or data field) a finding arose;
    ``"the data, before training"`` for a preflight finding with neither.

    >>> where_and_when({"epoch": 2, "step": 40, "where": "features.dense1"})
    'epoch 3, step 40 · features.dense1'
    """
    when = ", ".join(
        part
        for part in (
            f"epoch {finding['epoch'] + 1}" if finding.get("epoch") is not None else "",
            f"step {finding['step']}" if finding.get("step") is not None else "",
        )
        if part
    )
    parts = [p for p in (when, finding.get("where") or "") if p]
    return " · ".join(parts) if parts else "the data, before training"


def print_finding(console: Console, number: int, finding: dict[str, Any]) -> None:
    """Print one finding as a block (see the module docstring)."""
    severity = str(finding.get("severity", "info"))
    head = Text(f"{number}. ")
    head.append(severity.upper(), style=SEVERITY_STYLE.get(severity, "bold"))
    head.append(f" {finding.get('code', '?')}", style="bold")
    console.print(head)
    fix = finding.get("fix") or {}
    _paragraph(console, f"where: {where_and_when(finding)}", "dim")
    _paragraph(console, str(finding.get("message", "")))
    if fix.get("text"):
        _paragraph(console, f"fix: {fix['text']}")
    if fix.get("overrides"):
        # one unbroken line whatever the width: the reader copies it as it is
        line = " " * INDENT + overrides_line(fix["overrides"])
        console.print(Text(line, style="green"), soft_wrap=True)


def _paragraph(console: Console, text: str, style: str = "") -> None:
    """``text`` wrapped at spaces to the console's width, indented by :data:`INDENT`, without
    the trailing spaces rich's padding would add (they would end up in a log)."""
    width = max(20, console.width - INDENT)
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]
    for line in lines:
        console.print(Text(" " * INDENT + line, style=style), soft_wrap=True)


def print_findings(console: Console, findings: list[dict[str, Any]], title: str) -> None:
    """``title`` and every finding as a numbered block, a blank line between blocks."""
    console.print(Text(title, style="bold"))
    for i, finding in enumerate(findings, 1):
        console.print()
        print_finding(console, i, finding)


class VerdictWatch:
    """An ``echo`` for a run that remembers whether the run already printed the doctor's
    clean verdict (``tw.fit`` ends a run with "doctor: no problems found" when it prints
    progress), so the command's closing lines say it only if the run did not.

    Example::

        watch = VerdictWatch(print, "doctor: no problems found")
        watch("doctor: no problems found")
        watch.said_clean   # True
    """

    def __init__(self, echo: Callable[..., Any], clean_line: str):
        self._echo = echo
        self._clean_line = clean_line
        self.said_clean = False

    def __call__(self, *parts: Any, **kwargs: Any) -> Any:
        if " ".join(str(p) for p in parts).strip() == self._clean_line:
            self.said_clean = True
        return self._echo(*parts, **kwargs)
