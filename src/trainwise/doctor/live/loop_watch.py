"""What the doctor reads about the user's own loop, beyond the loss value: whether the
optimizer really steps, what the loss's autograd graph shows, and whether gradients are
cleared between optimizer steps. The rules ``optimizer_not_stepping``, ``zero_grad_missing``,
``frozen_parameters``, ``loss_output_mismatch`` and ``params_not_updating`` read it through
``LiveContext.loop``; the documented plain-loop calls are enough for all of it.

- Optimizer steps are counted by a step post-hook on the optimizer (a Python counter: no
  device work).
- The loss's graph (:func:`~trainwise.doctor.live.loss_graph.read_loss_graph`) is read once,
  on the first step whose loss is a tensor with history (at most :data:`GRAPH_TRIES` tries).
- Stale gradients: before the first backward of a probed step that follows an optimizer step,
  a tensor hook on a few layer weights (the first and the last) sees ``p.grad`` as it was
  *before* this backward adds to it: ``None`` or zeros when ``zero_grad`` ran, the already
  applied gradient when it did not. The hook computes two norms on the device; they are read
  with one transfer at that step's ``Doctor.step``. Hooks exist only for the probed step and
  only read.
- Layer inputs (:class:`~trainwise.doctor.live.module_inputs.ModuleInputs`): on probed steps,
  the input shapes of the BatchNorm and recurrent layers (Python tuples, no device work);
  ``inputs_seen`` holds the latest probed step's, ``inputs_step`` that step (armed from the
  first ``observe`` on, so the preflight's forward pass is never read as a training step).
- Mode: ``mode_modules`` are the modules whose behaviour ``model.train()``/``eval()`` changes
  (dropout with p > 0, BatchNorm); the ``eval_mode_during_training`` rule reads their
  ``training`` flags, plain Python attributes.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from trainwise.doctor.live.class_outputs import ClassOutputs
from trainwise.doctor.live.loss_graph import LossGraph, read_loss_graph
from trainwise.doctor.live.module_inputs import ModuleInputs
from trainwise.doctor.probes.layout import ModelLayout
from trainwise.doctor.probes.schedule import ProbeSchedule

_NORM_TYPES = (
    nn.modules.batchnorm._BatchNorm,
    nn.GroupNorm,
    nn.LayerNorm,
    nn.modules.instancenorm._InstanceNorm,
)

#: steps on which the doctor tries to read the loss's graph before it gives up (floats)
GRAPH_TRIES = 4


class LoopWatch:
    """See the module docstring.

    Example::

        watch = LoopWatch(model, optimizer, ModelLayout(model, optimizer), ProbeSchedule())
        ... each step, after optimizer.step(): watch.observe(step, loss)
        watch.opt_steps, watch.graph, watch.stale   # the rules read these
        watch.close()
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer | None,
        layout: ModelLayout,
        schedule: ProbeSchedule,
    ):
        self.model = model
        self.optimizer = optimizer
        self.layout = layout
        self.schedule = schedule
        #: optimizer steps since the doctor was made (None without an optimizer)
        self.opt_steps: int | None = None
        self._opt_hook = None
        if optimizer is not None and hasattr(optimizer, "register_step_post_hook"):
            self.opt_steps = 0
            self._opt_hook = optimizer.register_step_post_hook(self._stepped)
        self._opt_seen = 0
        self.graph: LossGraph | None = None
        self.graph_step: int | None = None
        self._graph_tries = 0
        #: per judged probed step: {"step", "param", "held", "fresh"} (gradient norms)
        self.stale: list[dict[str, Any]] = []
        self._grad_step: int | None = None
        self._grad_hooks: list[Any] = []
        self._grad_vals: dict[str, tuple] = {}
        self._module_inputs = ModuleInputs(model)
        #: the model's output and its gradient on probed steps (the class rules' tallies)
        self.class_outputs = ClassOutputs(model)
        self._inputs_armed: int | None = None
        #: the watched layers' input shapes on the latest probed step (see ModuleInputs)
        self.inputs_seen: dict[str, dict[str, Any]] = {}
        self.inputs_step: int | None = None
        #: normalization modules (BatchNorm, GroupNorm, LayerNorm, InstanceNorm): the layer
        #: right before one is scale-invariant, so its update/weight ratio says little
        self.norm_modules = {n for n, m in model.named_modules() if isinstance(m, _NORM_TYPES)}
        self.mode_modules = [
            (n, m)
            for n, m in model.named_modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm)
            or (isinstance(m, nn.modules.dropout._DropoutNd) and m.p > 0)
        ]

    @property
    def graph_settled(self) -> bool:
        """True once the graph was read, or the doctor gave up reading it."""
        return self.graph is not None or self._graph_tries >= GRAPH_TRIES

    def _stepped(self, optimizer, args, kwargs) -> None:
        self.opt_steps += 1

    def observe(self, step: int, loss: Any) -> LoopWatch:
        """Called by ``Doctor.step`` at ``step`` (after the optimizer step); returns itself."""
        if not self.graph_settled:
            self._graph_tries += 1
            try:
                ids = {id(p) for _, p in self.layout.params}
                self.graph = read_loss_graph(loss, ids)
            except Exception:  # an exotic graph: the rules then judge without it
                self.graph = None
            if self.graph is not None:
                self.graph_step = step
        if self._grad_step is not None:
            self._read_grads(step)
        if self._inputs_armed is not None:
            self._read_inputs(step)
        self.class_outputs.observe(step)
        if self.schedule.is_probe(step + 1):
            self.class_outputs.arm(step + 1)
        if self._module_inputs.modules and self.schedule.is_probe(step + 1):
            self._arm_inputs(step + 1)
        stepped = self.opt_steps is None or self.opt_steps > self._opt_seen
        self._opt_seen = self.opt_steps or 0
        if stepped and self.schedule.is_probe(step + 1):
            self._arm_grads(step + 1)
        return self

    def _watched(self) -> list[tuple[str, torch.Tensor]]:
        # only what the optimizer holds: zero_grad() cannot clear the others (that is
        # params_not_updating's "not in the optimizer")
        out = set(self.layout.not_in_optimizer)
        by_name = {n: p for n, p in self.layout.params if n not in out}
        names = [n for n in self.layout.weights if n in by_name] or list(by_name)
        picked = list(dict.fromkeys([names[0], names[-1]])) if names else []
        return [(n, by_name[n]) for n in picked if n in by_name]

    def _arm_grads(self, step: int) -> None:
        self._drop_hooks()
        self._grad_step = step
        for name, p in self._watched():
            try:
                self._grad_hooks.append(p.register_hook(self._hook(name, p)))
            except RuntimeError:  # a parameter that does not require grad after all
                continue

    def _hook(self, name: str, p: torch.Tensor):
        def hook(grad):
            if name in self._grad_vals:
                return None  # a second backward of the same step: the first one decides
            with torch.no_grad():
                held = p.grad
                held_n = (
                    torch.linalg.vector_norm(held.detach().float())
                    if held is not None
                    else torch.zeros((), device=grad.device)
                )
                fresh_n = torch.linalg.vector_norm(grad.detach().float())
                self._grad_vals[name] = (held_n.to(fresh_n.device), fresh_n)
            return None  # reads only: the gradient is not changed

        return hook

    def _read_grads(self, step: int) -> None:
        vals, armed = self._grad_vals, self._grad_step
        self._drop_hooks()
        if armed != step or not vals:
            return  # armed for a step that had no backward, or never came
        names = list(vals)
        flat = torch.stack([v for n in names for v in vals[n]]).tolist()
        for i, name in enumerate(names):
            held, fresh = flat[2 * i], flat[2 * i + 1]
            self.stale.append({"step": step, "param": name, "held": held, "fresh": fresh})
        del self.stale[:-64]  # the rule needs only the recent readings

    def _arm_inputs(self, step: int) -> None:
        self._module_inputs.attach()
        self._inputs_armed = step

    def _read_inputs(self, step: int) -> None:
        armed = self._inputs_armed
        self._module_inputs.detach()
        self._inputs_armed = None
        if armed == step and self._module_inputs.shapes:
            self.inputs_seen = dict(self._module_inputs.shapes)
            self.inputs_step = step

    def _drop_hooks(self) -> None:
        for h in self._grad_hooks:
            h.remove()
        self._grad_hooks = []
        self._grad_vals = {}
        self._grad_step = None

    def close(self) -> None:
        """Remove the optimizer hook and any gradient or layer-input hook."""
        self._drop_hooks()
        self._module_inputs.detach()
        self._inputs_armed = None
        self.class_outputs.close()
        if self._opt_hook is not None:
            self._opt_hook.remove()
            self._opt_hook = None
