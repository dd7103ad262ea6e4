"""``loss_output_mismatch`` (live): the model's real outputs on the first step do not suit the
loss (softmax outputs into cross-entropy, probabilities into a with-logits loss, ...).

The check itself is the preflight one (:func:`trainwise.doctor.preflight.check_outputs`); this
rule only feeds it the first training batch's outputs and targets, once. Without outputs or a
loss function (the documented plain loop passes neither) the loss's autograd graph tells the
same story (:mod:`~trainwise.doctor.live.graph_mismatch`); it is also read when the outputs
check finds nothing.
"""

from __future__ import annotations

import dataclasses
import warnings

from trainwise.doctor.finding import Finding
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.graph_mismatch import graph_mismatches
from trainwise.doctor.live.rule import LiveRule
from trainwise.doctor.preflight import check_outputs


class LossOutputMismatch(LiveRule):
    code = "loss_output_mismatch"
    every_step = True
    _state = ("done", "outputs_checked")

    def __init__(self) -> None:
        super().__init__()
        self.outputs_checked = False

    def observe(self, ctx: LiveContext) -> list[Finding]:
        found: list[Finding] = []
        can_check = ctx.outputs is not None and ctx.loss_fn is not None and ctx.task is not None
        if can_check and not self.outputs_checked:
            self.outputs_checked = True
            found = self._outputs(ctx)
        loop = ctx.loop
        if (
            not found
            and loop is not None
            and loop.graph is not None
            and loop.graph_step == ctx.step
        ):
            try:
                found = graph_mismatches(loop.graph, ctx.targets)
            except Exception as exc:  # the doctor must never stop a training run
                warnings.warn(f"doctor: the loss graph check failed: {exc!r}", stacklevel=2)
        graph_done = loop is None or loop.graph_settled
        self.done = bool(found) or (graph_done and (self.outputs_checked or not can_check))
        return [
            dataclasses.replace(
                f,
                step=ctx.step if f.step is None else f.step,
                epoch=ctx.epoch if f.epoch is None else f.epoch,
            )
            for f in found
        ]

    def _outputs(self, ctx: LiveContext) -> list[Finding]:
        try:
            # the outputs themselves (not detached): their autograd history names the last op
            return check_outputs(ctx.outputs, ctx.loss_fn, ctx.task, ctx.targets)
        except Exception as exc:  # the doctor must never stop a training run
            warnings.warn(f"doctor: the live loss/output check failed: {exc!r}", stacklevel=2)
            return []
