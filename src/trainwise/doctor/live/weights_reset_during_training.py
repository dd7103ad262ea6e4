"""``weights_reset_during_training``: the weights go back to fresh initial values between
epochs, so what the earlier epochs learned is lost.

The usual cause is an initialization inside the epoch loop (``model.apply(init_weights)`` or
``reset_parameters()`` at the top of every epoch): the final model has trained for one epoch.

Evidence, at the first step of every epoch after the first (device work once per epoch, read
in the doctor's batched read): per layer weight, the distance ``d`` between the weights now and
the prober's latest weight copy (taken before the latest probed step ``s``, so ``d`` spans the
``k = t - s + 1`` optimizer steps since, plus whatever happened between the epochs), and that
copy's norm ``n``. ``k`` optimizer steps move a weight by at most ``k`` times their largest
step, which the probes measure (the update norm of every probed step that is not an epoch's
first). A layer *jumped* when ``d >= 0.5 n`` and ``d >= 4 k u`` (``u``: the largest update norm
of that layer on a probe) while its norm now is within :data:`INIT_BAND` (3x) of its norm at
the first probe (fresh weights have an initial size; weights blown up by a diverging run do
not). A boundary counts when a layer jumped **and** the loss of the new epoch's first step went
back at least half way from the previous epoch's last losses (median of 3) to the run's first
losses (:meth:`LossTrack.start`) or to within :data:`NEAR_START` (0.75) of them, or the loss
had not fallen, and is not above :data:`ABOVE_START` (2x) them (a rollback to a trained
checkpoint stays far below, a diverging run far above). Rule:
:attr:`WeightsResetDuringTraining.NEED` (2) such boundaries (error: the model cannot learn
beyond one epoch). A warm restart of the LR, a fine-tuning run that loads its pretrained
weights once before the loop, or a learning rate so high that steps are large all stay silent:
steps of the size the probes saw never make a jump.

A model re-created as a new object inside the loop (``model = Net()`` each epoch) is not the
one the doctor was given: the loss of the new epoch no longer reaches the watched parameters.
That is read from the loss's autograd graph at each epoch's first step (a walk that stops at
the first watched parameter it meets) and counts as a boundary too; the finding then says the
model was re-created and that the doctor must be given the model that trains.
"""

from __future__ import annotations

import statistics
from typing import Any

import torch

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.loss_graph import MAX_NODES
from trainwise.doctor.live.rule import LiveRule, num

#: a layer jumped when its distance from the copy is this share of the copy's norm or more
JUMP = 0.5
#: ... and this many times what ``k`` steps of the largest probed update could move it
STEPS_MARGIN = 4.0
#: a loss at least this share of the run's first losses is back near its start ...
NEAR_START = 0.75
#: ... and at most this many times them (a diverging run's loss is far above)
ABOVE_START = 2.0
#: a reset layer's norm is within this factor of its norm at the first probe (another init
#: scheme than the first one still is; weights blown up by divergence are not)
INIT_BAND = 3.0


def reaches(loss: Any, ids: set[int]) -> bool | None:
    """Whether ``loss``'s autograd graph reaches a parameter whose ``id`` is in ``ids`` (None
    for a loss without a graph, or a graph larger than ``MAX_NODES``). Stops at the first hit.

    >>> w = torch.nn.Parameter(torch.ones(2))
    >>> reaches((w * 2).sum(), {id(w)}), reaches((w * 2).sum(), {0})
    (True, False)
    """
    fn = getattr(loss, "grad_fn", None)
    if fn is None:
        return None
    stack, seen = [fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > MAX_NODES:
            return None
        var = getattr(node, "variable", None)
        if var is not None and id(var) in ids:
            return True
        stack += [f for f, _ in getattr(node, "next_functions", ())]
    return False


class WeightsResetDuringTraining(LiveRule):
    code = "weights_reset_during_training"
    severity = "error"
    every_step = True  # sees every step's epoch (cheap); device work at epochs' first steps
    NEED = 2
    _state = (
        "done",
        "boundaries",
        "max_update",
        "init_norm",
        "first_steps",
        "snap_step",
        "rec_epoch",
    )

    def __init__(self) -> None:
        super().__init__()
        self.boundaries: list[dict[str, Any]] = []  # the boundaries that counted
        self.max_update: dict[str, float] = {}  # layer -> largest update norm on a probe
        self.init_norm: dict[str, float] = {}  # layer -> its norm at the first probe
        self.first_steps: list[int] = []  # steps that began an epoch (recorded)
        self.snap_step: int | None = None  # the probed step the prober's copy was taken for
        self.rec_epoch: int | None = None  # the epoch of the last recorded step
        #: epoch-first steps recorded, not yet judged: the facts measure() found there
        self._pending: dict[int, dict[str, Any]] = {}
        self._step_size: dict[str, float] = {}  # layer -> largest probed step / its norm

    def measure(self, entry, layout, probed: bool) -> torch.Tensor | bool | None:
        first = entry.epoch != self.rec_epoch
        k = None if self.snap_step is None else entry.step - self.snap_step + 1
        if probed:
            self.snap_step = entry.step  # its copy was taken right before this step
            k = 1
        if first:
            # an epoch's first probed update may hold a reset (also the run's very first:
            # an init between Doctor() and the first step), so it is no step size
            self.first_steps.append(entry.step)
            del self.first_steps[:-8]
        if not first or self.rec_epoch is None or self.done:
            self.rec_epoch = entry.epoch
            return None
        self.rec_epoch = entry.epoch
        params = dict(layout.params)
        snap = entry.snapshot
        names, dist, norm, now = [], [], [], []
        with torch.no_grad():
            for n in layout.weights if snap is not None and k is not None else ():
                old = snap.get(n)
                if n not in params or old is None or old.shape != params[n].shape:
                    continue
                names.append(n)
                dist.append(torch.linalg.vector_norm((params[n].detach() - old).float()))
                norm.append(torch.linalg.vector_norm(old.float()))
                now.append(torch.linalg.vector_norm(params[n].detach().float()))
        reached = reaches(entry.loss, {id(p) for _, p in layout.params})
        self._pending[entry.step] = {"names": names, "k": k, "reached": reached}
        # the distances and norms are read in the doctor's batched read
        return torch.stack(dist + norm + now) if dist else True

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if ctx.probe is not None and ctx.step not in self.first_steps:
            for n, u in ctx.probe.updates.items():
                self.max_update[n] = max(self.max_update.get(n, 0.0), u["update"])
        if ctx.probe is not None:
            for n, u in ctx.probe.updates.items():
                self.init_norm.setdefault(n, u["weight"])  # the first probe's: the initial
        seen = self._pending.pop(ctx.step, None)
        if seen is None:
            return []
        vals = ctx.notes.get(self.code)
        moved = self._jumped(seen, vals if isinstance(vals, list) else [])
        recreated = seen["reached"] is False and (ctx.loop is None or _was_reached(ctx.loop))
        if not (moved or recreated) or not self._loss_back(ctx):
            return []
        self.boundaries.append(
            {
                "step": ctx.step,
                "epoch": ctx.epoch,
                "layers": moved,
                "recreated": recreated,
                "loss": ctx.loss,
            }
        )
        if len(self.boundaries) < self.NEED:
            return []
        return [self._finding(ctx)]

    def _jumped(self, seen: dict[str, Any], vals: list[float]) -> dict[str, float]:
        """Layer -> d / n for the layers that jumped."""
        names, k = seen["names"], seen["k"]
        m = len(names)
        if len(vals) != 3 * m:
            return {}
        out = {}
        for i, n in enumerate(names):
            d, norm, now = vals[i], vals[m + i], vals[2 * m + i]
            u, init = self.max_update.get(n), self.init_norm.get(n)
            if u is None or init is None or not norm > 0 or not init > 0:
                continue
            # back at an initial size: weights blown up by a diverging run are no reset
            fresh = 1 / INIT_BAND <= now / init <= INIT_BAND
            if fresh and d >= JUMP * norm and d >= STEPS_MARGIN * k * u:
                out[n] = d / norm
                self._step_size[n] = u / norm
        return out

    def _loss_back(self, ctx: LiveContext) -> bool:
        start = ctx.losses.start()
        before = [v for _, v in ctx.losses.finite_recent(4)[:-1]]
        if start is None or not before:
            return False
        end = statistics.median(before)
        if start > 0 and ctx.loss > ABOVE_START * start:
            return False  # far above its start: a diverging run, not a fresh model
        if end >= start:
            return True  # the loss had not fallen: nothing to see it lose
        # half way back, or near the start level (one batch's loss is noisy); a rollback to
        # a trained checkpoint stays far below both
        return ctx.loss >= min(end + 0.5 * (start - end), NEAR_START * start)

    def _finding(self, ctx: LiveContext) -> Finding:
        first = self.boundaries[0]
        epochs = ", ".join(str(b["epoch"] + 1) for b in self.boundaries)
        start = ctx.losses.start()
        if any(b["recreated"] for b in self.boundaries):
            what = (
                "the model was re-created: the loss of each new epoch no longer reaches the "
                "parameters of the model the doctor was given, and a fresh model starts from "
                "its initial weights"
            )
            where = "model"
        else:
            layers = self.boundaries[-1]["layers"]
            worst = max(layers, key=layers.get)
            what = (
                f"{len(layers)} layer weights jumped (e.g. '{worst}' moved by "
                f"{num(layers[worst])}x its norm, while the largest optimizer step the probes "
                f"saw moved it by {num(self._step_size.get(worst))}x)"
            )
            where = worst
        return self.finding(
            ctx,
            f"The weights go back to fresh initial values at the start of epochs {epochs}: "
            f"{what}, and the loss returned to {num(self.boundaries[-1]['loss'])} (the run "
            f"started at {num(start)}), so what the earlier epochs learned is lost and the "
            "final model has trained for one epoch; usually the weight initialization "
            "(model.apply(init), reset_parameters(), or building the model) runs inside the "
            "epoch loop.",
            Fix(
                "initialize (or build) the model once, before the epoch loop; load pretrained "
                "weights once, before training; give the doctor the model that trains"
            ),
            step=first["step"],
            epoch=first["epoch"],
            where=where,
            evidence={"boundaries": self.boundaries[-4:], "start_loss": start},
        )


def _was_reached(loop: Any) -> bool:
    """The loss reached the watched parameters when the loop watch read its graph."""
    graph = getattr(loop, "graph", None)
    return graph is not None and bool(graph.params_reached)
