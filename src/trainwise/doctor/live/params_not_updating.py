"""``params_not_updating``: a trainable parameter the optimizer does not hold, that never gets
a gradient, or that never changes.

- Not in any of the optimizer's param groups: reported at the first probe (an error: those
  weights stay at their init whatever happens).
- No gradient (``.grad`` is None: a detached branch, an unused module), or no change across
  the optimizer step although its gradient is not negligible (RMS at least :attr:`RELATIVE`
  (1e-3) of the median parameter's: a gradient below float32 resolution is vanishing, not
  this), judged only while the median parameter moves by at least :attr:`MOVING` (1e-5) of
  its size per step (smaller steps can round to no change in float32: that is
  ``lr_too_low``): the same status on :attr:`NEED` (3) probes in a row.

Gradients that are exactly zero are left to ``dead_relu``: whole tensors of zero gradient are
what dead units downstream produce.

- No path at all: the loss handed to ``doctor.step`` has an autograd graph that reaches none
  of the model's trainable parameters (e.g. rebuilt as ``torch.tensor(loss.item(),
  requires_grad=True)``; see :mod:`~trainwise.doctor.live.loss_graph`) and no weight changed
  on the probe: an error at once, since the graph is proof.

One finding per module (its weight and bias together). When *no* parameter has a gradient the
gradients were probably cleared before ``doctor.step`` (``zero_grad`` after ``step``), so the
rule cannot judge and stays quiet.
"""

from __future__ import annotations

from typing import Any

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule

_WHY = {
    "none": "never receives a gradient (it takes no part in the loss: a detached branch, "
    "torch.no_grad, or an unused module)",
    "unchanged": "does not change when the optimizer steps although it has a gradient",
}


class ParamsNotUpdating(LiveRule):
    code = "params_not_updating"
    repeats = True  # one finding per group of parameters (missing, detached, frozen)
    NEED = 3
    RELATIVE = 1e-3
    MOVING = 1e-5
    _state = ("done", "checked_optimizer", "runs", "reported")

    def __init__(self) -> None:
        super().__init__()
        self.checked_optimizer = False
        self.runs: dict[str, list[Any]] = {}  # param -> [status, count, since_step, since_epoch]
        self.reported: list[str] = []  # modules already reported

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if ctx.probe is None:
            return []
        found = []
        if "loss" not in self.reported:
            found += self._no_path(ctx)
        if not self.checked_optimizer:
            self.checked_optimizer = True
            missing = {n: "missing" for n in ctx.layout.not_in_optimizer}
            if missing and len(missing) == len(ctx.layout.params):
                found += self._other_model(ctx)
            else:
                found += self._group(ctx, missing, {})
        grads = ctx.probe.grads
        if not grads or all(g["status"] == "none" for g in grads.values()):
            return found
        rms = sorted(g["rms"] for g in grads.values() if g["status"] == "ok")
        floor = self.RELATIVE * rms[len(rms) // 2] if rms else 0.0
        moving = sorted(u["ratio"] for u in ctx.probe.updates.values() if u["ratio"] > 0)
        # with steps this small elsewhere, a zero change may be float32 rounding (lr_too_low)
        judge_change = bool(moving) and moving[len(moving) // 2] >= self.MOVING
        hits: dict[str, str] = {}
        onsets: dict[str, tuple[int, int]] = {}
        for name, g in grads.items():
            if ctx.layout.module_of(name) in self.reported:
                continue
            status = g["status"]
            up = ctx.probe.updates.get(name)
            if status == "ok" and up is not None and up["update"] == 0.0 and judge_change:
                status = "unchanged" if g["rms"] >= floor else "ok"
            run = self.runs.get(name)
            if status in ("ok", "zero"):
                self.runs.pop(name, None)
                continue
            if run is None or run[0] != status:
                run = self.runs[name] = [status, 0, ctx.step, ctx.epoch]
            run[1] += 1
            if run[1] >= self.NEED:
                hits[name] = status
                onsets[name] = (run[2], run[3])
        return found + self._group(ctx, hits, onsets)

    def _other_model(self, ctx: LiveContext) -> list[Finding]:
        """One finding when the optimizer holds none of the model's parameters."""
        names = [n for n, _ in ctx.layout.params]
        self.reported += sorted({ctx.layout.module_of(n) for n in names})
        msg = (
            f"The optimizer holds none of the model's {len(names)} trainable parameters "
            f"({', '.join(names[:4])}{', ...' if len(names) > 4 else ''}): it was built for "
            "another model object (e.g. the model was re-created after the optimizer), so "
            "these weights never change."
        )
        fix = Fix(
            "build the optimizer after the final model, from model.parameters() of the model "
            "you train"
        )
        return [
            Finding(
                self.code,
                "error",
                msg,
                fix,
                step=ctx.step,
                epoch=ctx.epoch,
                where="optimizer",
                evidence={"params": names, "status": "missing"},
            )
        ]

    def _no_path(self, ctx: LiveContext) -> list[Finding]:
        graph = ctx.loop.graph if ctx.loop is not None else None
        if graph is None or graph.params_reached != 0 or not ctx.layout.params:
            return []
        if not ctx.probe.updates or any(u["update"] for u in ctx.probe.updates.values()):
            return []
        self.reported.append("loss")
        how = (
            "it is a leaf tensor with requires_grad=True (rebuilt from a number, e.g. "
            "torch.tensor(loss.item(), requires_grad=True))"
            if graph.leaf
            else "its graph starts from tensors detached from the model"
        )
        n = len(ctx.layout.params)
        return [
            Finding(
                self.code,
                "error",
                f"The loss passed to doctor.step has no autograd path to any of the model's "
                f"{n} trainable parameters: {how}, so loss.backward() gives the model no "
                f"gradient and no weight changed at step {ctx.step}.",
                Fix(
                    "compute the loss from the model's outputs with torch operations only (no "
                    ".item(), .detach(), .numpy() or torch.tensor(...) on the way) and do not "
                    "set requires_grad on the loss to silence the 'does not require grad' error"
                ),
                step=ctx.step,
                epoch=ctx.epoch,
                where="loss",
                evidence={"params_reached": 0, "params": n, "leaf_loss": graph.leaf},
            )
        ]

    def _group(
        self, ctx: LiveContext, statuses: dict[str, str], onsets: dict[str, tuple[int, int]]
    ) -> list[Finding]:
        by_module: dict[str, list[str]] = {}
        for name in statuses:
            by_module.setdefault(ctx.layout.module_of(name), []).append(name)
        out = []
        for module, names in by_module.items():
            self.reported.append(module)
            status = statuses[names[0]]
            label = f"module '{module}'" if module else "the root module"
            step, epoch = onsets.get(names[0], (ctx.step, ctx.epoch))
            numel = sum(ctx.layout.numel.get(n, 0) for n in names)
            if status == "missing":
                msg = (
                    f"{len(names)} trainable parameters of {label} ({numel} values: "
                    f"{', '.join(names)}) are in no optimizer param group, so they never change."
                )
                fix = Fix(
                    "build the optimizer from model.parameters() (or add the missing ones with "
                    "optimizer.add_param_group)"
                )
                severity = "error"
            else:
                msg = (
                    f"{label.capitalize()} ({', '.join(names)}, {numel} values) {_WHY[status]} "
                    f"on {self.NEED} probes in a row."
                )
                fix = Fix(
                    "make sure the module's output reaches the loss (no .detach(), .item() or "
                    "torch.no_grad on the way), or set requires_grad=False if it is frozen on "
                    "purpose"
                )
                severity = "warning"
            out.append(
                Finding(
                    self.code,
                    severity,
                    msg,
                    fix,
                    step=step,
                    epoch=epoch,
                    where=module,
                    evidence={"params": names, "values": numel, "status": status},
                )
            )
        return out
