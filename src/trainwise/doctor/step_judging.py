"""How the doctor judges the optimizer steps it has recorded: a mixin of
:class:`~trainwise.doctor.doctor.Doctor` (whose ``__init__`` sets every attribute used here).

:meth:`Doctor.step` records each step as a :class:`~trainwise.doctor.step_reader.StepEntry`;
:meth:`StepJudging.flush` reads the pending entries' losses in one transfer and runs the live
rules on each in step order, with the precedence applied, exactly as an eager reading would
(same findings, same onsets); after a non-finite loss the rest of the window is not judged.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from trainwise.doctor.finding import Finding
from trainwise.doctor.live import LiveContext, nan_source
from trainwise.doctor.precedence import CONSEQUENCE_HOLD, causes, outranked
from trainwise.doctor.step_reader import StepEntry
from trainwise.vocabulary import infer_task


class StepJudging:
    """The record/flush/judge half of :class:`~trainwise.doctor.doctor.Doctor`.

    Example::

        doctor.step(loss, inputs=xb, targets=yb)   # records; reads every read_every steps
        doctor.flush()                             # judge what is pending now
    """

    def _record(self, t: int, loss, inputs, targets, outputs, pre, probed: bool) -> StepEntry:
        """This step's entry: what the rules will need when its loss has been read."""
        lr = self._lr()
        if lr is not None:
            self._epoch_lrs = (self._epoch_lrs[0] if self._epoch_lrs[0] is not None else lr, lr)
        if self.task is None:
            # only a batch's own tensor is read: other targets leave the task unknown
            self.task = infer_task(targets) if isinstance(targets, torch.Tensor) else None
        entry = StepEntry(
            step=t,
            epoch=self.epoch,
            loss=loss,
            lr=lr,
            max_lr=self.max_lr,
            task=self.task,
            inputs=inputs,
            targets=targets,
            pre=pre,
            snapshot=self.prober.last_snapshot,
            want_targets=any(
                r.reads_targets(t, self.epoch, probed) for r in self._every_step_rules
            ),
            value=pre["value"] if pre is not None else None,
        )
        for rule in self._every_step_rules:
            noted = rule.note(self.loop)
            if noted is None:  # device work of this step, read in the batched read
                noted = rule.measure(entry, self.layout, probed)
            if noted is not None:
                entry.notes[rule.code] = noted
        unkept = self.reader.every > 1 and not probed  # step() keeps no outputs then
        if unkept and self.replay is None and outputs is not None and inputs is not None:
            entry.finite_out = nan_source.finite_flag(outputs)  # device work, read later
        return entry

    def flush(self) -> list[Finding]:
        """Read the pending steps' losses (one transfer) and judge them in order; returns the
        new findings. Called by every public method that reports or saves."""
        if not self.reader.pending:
            return []
        new: list[Finding] = []
        for entry in self.reader.read():
            new += self._judge(entry)
        return new

    def _judge(self, e: StepEntry) -> list[Finding]:
        """The live rules on one recorded step, its loss read (``e.value``)."""
        t, value = e.step, e.value
        if self.halted:
            return []
        self.losses.add(t, value)
        if e.probe is not None:
            self.probes.append(e.probe)
            self.probe_log.append(e.probe.record(self.layout.weights, value))
        ctx = LiveContext(
            step=t,
            epoch=e.epoch,
            loss=value,
            losses=self.losses,
            layout=self.layout,
            probe=e.probe,
            probes=list(self.probes) if e.probe is not None else [],
            inputs=e.inputs,
            targets=e.targets,
            outputs=e.outputs,
            task=e.task,
            loss_fn=self.loss_fn,
            total_steps=self.total_steps,
            lr=e.lr,
            max_lr=e.max_lr,
            fired=set(self._codes),
            locate=lambda: self._locate(e),
            label_counts=self.label_counts,
            regularization=self.regularization,
            loop=self.loop,
            host_targets=e.host,
            notes=e.notes,
            train_rows=self.data_sizes.get("train"),
        )
        found = self._run_rules(ctx, value)
        if not math.isfinite(value):
            self.halted = True
            self.prober.disarm()
            self.reader.pending = []  # steps after a non-finite loss are not judged
        self.judged_steps = t + 1
        return self._add(found)

    def _run_rules(self, ctx: LiveContext, value: float) -> list[Finding]:
        """This step's live rules (all on a probed step, else the every-step ones), with the
        precedence applied: a rule whose cause has fired is not called, and what a rule that
        yields finds in the first :data:`CONSEQUENCE_HOLD` losses waits for its causes."""
        new: list[Finding] = []
        early = self.losses.count < CONSEQUENCE_HOLD and math.isfinite(value)
        for rule in self.rules if ctx.probe is not None else self._every_step_rules:
            if rule.done and not rule.repeats:
                continue  # a rule that has fired is quiet for the rest of the run
            if outranked(rule.code, ctx.fired):
                continue
            found = rule.observe(ctx)
            if found and causes(rule.code) and early:
                self._held += found
            elif found:
                ctx.fired.update(f.code for f in found)
                new += found
        if self._held:
            # a held finding whose cause has fired since is that cause's consequence: dropped
            self._held = [f for f in self._held if not outranked(f.code, ctx.fired)]
            if not early and (ctx.probe is not None or not math.isfinite(value)):
                new += self._held  # released with the first probe after the hold
                self._held = []
        return new

    def _locate(self, e: StepEntry) -> dict[str, Any] | None:
        """Where step ``e``'s non-finite loss came from (see ``live/nan_source.py``): with the
        weights kept eagerly, else by ``replay`` of its window, else on what is left now."""
        if e.inputs is not None and (e.pre is None or "params" not in e.pre):
            if self.replay is not None:
                found = self.replay(e)
                if found is not None:
                    return found
        snap = e.snapshot
        snapshot = snap.values if snap is not None else None
        return nan_source.locate(
            self.model,
            self.layout,
            self.losses,
            snapshot,
            e.inputs,
            e.outputs,
            e.pre,
            outputs_finite=e.outputs_finite,
        )
