"""``loss_output_mismatch`` (live): the model's real outputs on the first step do not suit the
loss (softmax outputs into cross-entropy, probabilities into a with-logits loss, ...).

The check itself is the preflight one (:func:`trainwise.doctor.preflight.check_outputs`); this
rule only feeds it the first training batch's outputs and targets, once.
"""

from __future__ import annotations

import dataclasses
import warnings

from trainwise.doctor.finding import Finding
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule
from trainwise.doctor.preflight import check_outputs


class LossOutputMismatch(LiveRule):
    code = "loss_output_mismatch"
    every_step = True

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if self.done or ctx.outputs is None or ctx.loss_fn is None or ctx.task is None:
            return []
        self.done = True
        try:
            # the outputs themselves (not detached): their autograd history names the last op
            found = check_outputs(ctx.outputs, ctx.loss_fn, ctx.task, ctx.targets)
        except Exception as exc:  # the doctor must never stop a training run
            warnings.warn(f"doctor: the live loss/output check failed: {exc!r}", stacklevel=2)
            return []
        return [
            dataclasses.replace(
                f,
                step=ctx.step if f.step is None else f.step,
                epoch=ctx.epoch if f.epoch is None else f.epoch,
            )
            for f in found
        ]
