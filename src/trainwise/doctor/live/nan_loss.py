"""``nan_loss``: the loss became NaN or infinite; name where the non-finite values came from.

Sentinel: one ``float(loss)`` per step (the loop syncs anyway). On the first non-finite loss
:func:`~trainwise.doctor.live.nan_source.locate` replays that step's forward pass, with the
weights before the failing update when it has them, and names the source: the input batch
itself (data), a module's output (e.g. log/sqrt/division of a bad value), a module's
parameters that already were non-finite (a gradient went non-finite at an earlier step), or
nothing in the forward pass (the loss function, or weights that diverged: the last finite
loss :attr:`NanLoss.DIVERGED` (100x) the start).
"""

from __future__ import annotations

import math

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num, round_sig


class NanLoss(LiveRule):
    """Fires on the first non-finite loss, as an error. Example::

    rule = NanLoss(); rule.observe(ctx)   # [Finding("nan_loss", "error", ...)] once
    """

    code = "nan_loss"
    severity = "error"
    every_step = True
    DIVERGED = 100.0

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if self.done or math.isfinite(ctx.loss):
            return []
        info = ctx.locate() if ctx.locate is not None else None
        last = ctx.losses.finite_recent(1)
        evidence = {
            "loss": str(ctx.loss),
            "last_finite_loss": last[-1][1] if last else None,
            "last_finite_step": last[-1][0] if last else None,
        }
        lr = ctx.max_lr
        slower = {"optimizer.lr": round_sig(lr / 10)} if lr else {}
        if info is None:
            return [
                self.finding(
                    ctx,
                    f"The training loss became {ctx.loss} at step {ctx.step} (last finite "
                    f"value {num(evidence['last_finite_loss'])}); pass inputs= to "
                    "doctor.step to find the module where it started.",
                    Fix(
                        "check the data for NaN/Inf, then lower the learning rate or clip "
                        "gradients",
                        {**slower, "training.grad_clip_norm": 1.0},
                    ),
                    evidence=evidence,
                )
            ]
        evidence.update(info)
        start = ctx.losses.start()
        # the last finite loss far above the start: the run was diverging, not a bad operation
        diverged = bool(start and last and last[-1][1] >= self.DIVERGED * start)
        kind = info.get("source")
        where = info.get("module")
        if kind == "inputs":
            msg = (
                f"The training loss became {ctx.loss} at step {ctx.step} because the input "
                f"batch holds {info.get('bad_values')} NaN/Inf values (first in sample "
                f"{info.get('first_sample')})."
            )
            fix = Fix("remove or impute the NaN/Inf values in the data before training")
            where = "inputs"
        elif kind == "params":
            msg = (
                f"The training loss became {ctx.loss} at step {ctx.step}: the parameters of "
                f"{info.get('params_nonfinite')} were already non-finite, so a gradient went "
                f"non-finite in or after module '{where}' at an earlier step."
            )
            fix = Fix(
                "clip gradients and lower the learning rate; guard ops with unbounded "
                f"gradients (sqrt at 0, log near 0, division) in '{where}'",
                {"training.grad_clip_norm": 1.0, **slower},
            )
        elif kind == "module":
            what = "output" if info.get("culprit") == "output" else "forward code"
            label = f"module '{where}'" if where else "the model's own forward code"
            msg = (
                f"The training loss became {ctx.loss} at step {ctx.step}; the first non-finite "
                f"values appear in the {what} of {label} ({info.get('module_type', 'module')}) "
                "with finite inputs."
            )
            fix = Fix(
                f"guard the operation in {label} (clamp before log/sqrt/pow, add an epsilon "
                "to divisions), or lower the learning rate if its inputs grew too large",
                slower,
            )
        elif kind == "loss" and diverged:
            where = "loss"
            msg = (
                f"The training loss became {ctx.loss} at step {ctx.step} after climbing from "
                f"{num(start)} to {num(evidence['last_finite_loss'])}: the outputs were still "
                "finite but so large that the loss overflowed, so the weights diverged."
            )
            fix = Fix(
                "lower the learning rate and clip gradients (and standardize regression targets)",
                {**slower, "training.grad_clip_norm": 1.0},
            )
        elif kind == "loss":
            where = "loss"
            msg = (
                f"The training loss became {ctx.loss} at step {ctx.step} although the model's "
                "outputs were finite: the loss function produced it (e.g. log of 0 or of a "
                "negative, targets outside its range)."
            )
            fix = Fix("check that the targets and outputs suit the loss function")
        else:
            msg = (
                f"The training loss became {ctx.loss} at step {ctx.step} after being "
                f"{num(evidence['last_finite_loss'])}; a replay of the forward pass with the "
                "earlier weights stays finite, so the weights diverged."
            )
            fix = Fix(
                "lower the learning rate and clip gradients",
                {**slower, "training.grad_clip_norm": 1.0},
            )
        return [self.finding(ctx, msg, fix, where=where, evidence=evidence)]
