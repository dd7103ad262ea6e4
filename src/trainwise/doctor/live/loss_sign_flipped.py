"""``loss_sign_flipped``: the loss minimized is a log-likelihood, not its negative.

``log_softmax(out).gather(1, y).mean()`` (or ``dist.log_prob(y).mean()``) is a quantity to
*maximize*; minimizing it pushes the probability of every true class towards zero, and the
loss falls without a floor: a log-probability has no lower bound. Nothing is learned.

Evidence (host only: the losses the doctor already reads, and one walk of the loss's
autograd graph at its first step, no device read): judged every 8 steps once
:attr:`LossSignFlipped.MIN_STEPS` (32) losses are in. The median of the last 8 losses is
negative and below ``-max(|start|, 0.5)`` for a loss whose graph holds a log-probability
of a discrete outcome (``LogSoftmax``, ``LogSigmoid``, ``NllLoss``, ``Log`` of a softmax or
sigmoid, within a few nodes of the loss: its negative is never below 0), or below
``-10 max(|start|, 1)`` for any other loss (a density's log may be negative); and it is
still falling by large steps: the median of the last 8 is below the median of the 8 before by >= 10% of its magnitude, and
the least-squares fall over the last 16 exceeds 3 standard errors. Twice in a row (16 steps).

Silent: a Gaussian negative log-likelihood that settles at a negative value (its fall stops),
a loss that goes slightly negative and levels off.
"""

from __future__ import annotations

import statistics
from typing import Any

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.loss_graph import op_name
from trainwise.doctor.live.rule import LiveRule, num

#: graph nodes that make the log-probability of a discrete outcome, which is <= 0: its
#: negative, a correct loss, never goes below 0 (a density's log, as in a Gaussian NLL, can)
LOG_OPS = {"LogSoftmax", "LogSigmoid", "NllLoss", "NllLoss2D"}
#: ``log(softmax(x))`` written in two steps: a discrete log-probability too
PROBABILITY_OPS = {"Softmax", "Sigmoid"}


def has_log_probability(loss: Any, depth: int = 6) -> bool | None:
    """Whether a discrete log-probability node sits within ``depth`` nodes of ``loss``'s graph (None
    without a graph). Python only: the graph's structure, no device read.

    >>> import torch
    >>> x = torch.randn(2, 3, requires_grad=True)
    >>> has_log_probability(torch.log_softmax(x, 1)[:, 0].mean()), has_log_probability(x.sum())
    (True, False)
    """
    fn = getattr(loss, "grad_fn", None)
    if fn is None:
        return None
    level, seen = [fn], set()
    for _ in range(depth):
        nxt = []
        for f in level:
            if id(f) in seen:
                continue
            seen.add(id(f))
            kids = [k for k, _ in getattr(f, "next_functions", ()) if k is not None]
            if op_name(f) in LOG_OPS:
                return True
            if op_name(f) == "Log" and kids and op_name(kids[0]) in PROBABILITY_OPS:
                return True
            nxt += kids
        level = nxt[:64]  # a wide graph: the loss node sits near the top
    return False


class LossSignFlipped(LiveRule):
    code = "loss_sign_flipped"
    severity = "error"
    every_step = True
    MIN_STEPS = 32
    NEED = 2
    _state = ("done", "log_like", "hits", "last_judged")

    def __init__(self) -> None:
        super().__init__()
        self.log_like: bool | None = None  # the loss's graph holds a log-probability
        self.hits = 0  # consecutive judgements that found the fall
        self.last_judged = -1

    def measure(self, entry, layout, probed: bool) -> None:
        if self.log_like is None and not self.done:
            try:
                self.log_like = has_log_probability(entry.loss)
            except Exception:  # an exotic graph: judged as any loss
                self.log_like = False
        return None

    def observe(self, ctx: LiveContext) -> list[Finding]:
        losses = ctx.losses
        if losses.count < self.MIN_STEPS or ctx.step - self.last_judged < 8:
            return []
        self.last_judged = ctx.step
        found = self._falling(losses)
        self.hits = self.hits + 1 if found else 0
        if found is None or self.hits < self.NEED:
            return []
        return [self._finding(ctx, *found)]

    def _falling(self, losses) -> tuple[float, float, float] | None:
        start = losses.start()
        vals = [v for _, v in losses.finite_recent(16)]
        if start is None or len(vals) < 16:
            return None
        now, before = statistics.median(vals[-8:]), statistics.median(vals[:8])
        floor = -max(abs(start), 0.5) if self.log_like else -10 * max(abs(start), 1.0)
        trend = losses.trend(16)
        if now >= floor or trend is None:
            return None
        drop, se = trend
        if before - now < 0.1 * abs(now) or drop <= 3 * se:
            return None  # levelling off: a negative log-likelihood may settle below 0
        return start, before, now

    def _finding(self, ctx: LiveContext, start: float, before: float, now: float) -> Finding:
        kind = "holds a log-probability" if self.log_like else "has no floor"
        return self.finding(
            ctx,
            f"The loss falls without a floor: from {num(start)} at the start to {num(now)} "
            f"(median of the last 8 steps; {num(before)} 8 steps before) and still falling "
            f"by large steps. Its graph {kind}: the loss minimized is a log-likelihood, not its "
            "negative, so training pushes the probability of the true targets towards zero "
            "and nothing is learned.",
            Fix(
                "minimize the NEGATIVE log-likelihood: loss = -log_prob.mean() (e.g. "
                "-log_softmax(out, 1).gather(1, y[:, None]).mean()), or use F.nll_loss / "
                "F.cross_entropy, which negate it"
            ),
            where="loss",
            evidence={
                "start_loss": start,
                "loss_8_steps_before": before,
                "loss_now": now,
                "log_probability_in_graph": bool(self.log_like),
            },
        )
