"""The base class of the live rules, and number formatting for their messages."""

from __future__ import annotations

import math
from typing import Any

from trainwise.doctor.finding import Finding, Fix, Severity
from trainwise.doctor.live.context import LiveContext
from trainwise.vocabulary import format_number

# the rules' messages give three significant figures, "n/a" for None (``num(None)``)
num = format_number


def round_sig(x: float, digits: int = 2) -> float:
    """``x`` rounded to ``digits`` significant figures (for suggested config values).

    >>> round_sig(0.0123456), round_sig(5.0)
    (0.012, 5.0)
    """
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


class LiveRule:
    """One finding code's live rule. ``observe(ctx)`` returns new findings (usually at most
    one per run: a rule goes quiet once it has fired). Rules with ``every_step = False`` are
    only called on probed steps; once a code that explains the rule's symptom has fired (see
    :mod:`~trainwise.doctor.precedence`), it is not called at all. ``_streaks`` names the :class:`Streak` attributes and
    ``_state`` the plain attributes that ``state_dict`` saves, so a resumed run keeps its
    persistence counters.
    """

    code: str = ""
    severity: Severity = "warning"
    every_step: bool = False
    #: False (default): once it has fired (``done``) the doctor stops calling the rule at all,
    #: which keeps the every-step path short; True for rules that report several findings
    repeats: bool = False
    _streaks: tuple[str, ...] = ()
    _state: tuple[str, ...] = ("done",)

    def __init__(self) -> None:
        self.done = False

    def observe(self, ctx: LiveContext) -> list[Finding]:
        raise NotImplementedError

    def note(self, loop: Any) -> Any:
        """Called when the doctor records a step, before its loss is read (which can be up to
        ``read_every`` steps later): return the Python facts of *that* moment ``observe`` needs
        (e.g. the model's train/eval mode); ``observe`` finds them in ``ctx.notes[self.code]``.
        ``loop`` is the doctor's ``LoopWatch``. Default None: nothing to note."""
        return None

    def measure(self, entry: Any, layout: Any, probed: bool) -> Any:
        """Called when the doctor records a step, right after :meth:`note`, with the step's
        :class:`~trainwise.doctor.step_reader.StepEntry` (its batch, its loss tensor, and as
        ``snapshot`` the prober's latest weight copy) and the model's ``ModelLayout``: queue
        device work here, never read the host. A tensor returned is read in the doctor's
        batched read (no sync of its own) and ``observe`` finds it as a list of floats in
        ``ctx.notes[self.code]``; anything else arrives as returned. Default None: nothing."""
        return None

    def reads_targets(self, step: int, epoch: int, probed: bool) -> bool:
        """Whether ``observe`` at this step will look at the batch's targets (default False).
        The doctor copies the targets of such steps to the host in its batched read and hands
        them over as ``ctx.host_targets``, so reading them costs no device sync."""
        return False

    def finding(
        self,
        ctx: LiveContext,
        message: str,
        fix: Fix,
        *,
        step: int | None = None,
        epoch: int | None = None,
        where: str | None = None,
        evidence: dict[str, Any] | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """A finding with onset ``step``/``epoch`` (default: this step), marking the rule done."""
        self.done = True
        return Finding(
            self.code,
            severity or self.severity,
            message,
            fix,
            step=ctx.step if step is None else step,
            epoch=ctx.epoch if epoch is None else epoch,
            where=where,
            evidence=evidence or {},
        )

    def state_dict(self) -> dict[str, Any]:
        state = {k: getattr(self, k) for k in self._state}
        state.update({k: getattr(self, k).state_dict() for k in self._streaks})
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for k in self._state:
            if k in state:
                setattr(self, k, state[k])
        for k in self._streaks:
            if k in state:
                getattr(self, k).load_state_dict(state[k])
