"""One-batch probe shared by the re-implemented baselines (AutoTrainer, DeepDiagnosis).

Both published tools look at one training batch per check: layer outputs, weights and weight
gradients. We compute these on a deep copy of the model with the RNG state saved and restored,
so a baseline watching a run never changes that run (the same guarantee the doctor gives).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from torch import nn

ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.SELU, nn.GELU, nn.Softmax)
LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d)


@dataclass
class BatchProbe:
    layers: list[str] = field(default_factory=list)  # weighted layers in forward order
    weights: dict[str, torch.Tensor] = field(default_factory=dict)  # kernel of each layer
    grads: dict[str, torch.Tensor] = field(default_factory=dict)  # its gradient (None-safe)
    outputs: dict[str, torch.Tensor] = field(default_factory=dict)  # every leaf's output
    act_inputs: dict[str, tuple[str, torch.Tensor]] = field(default_factory=dict)  # kind, pre-act
    final_output: torch.Tensor | None = None
    loss: float = float("nan")


def probe(model: nn.Module, loss_fn, xb: torch.Tensor, yb: torch.Tensor) -> BatchProbe:
    rng = torch.get_rng_state()
    try:
        m = copy.deepcopy(model)
        m.train()
        p = BatchProbe()
        hooks = []
        for name, mod in m.named_modules():
            if list(mod.children()):
                continue

            def hook(mod, inp, out, name=name):
                if isinstance(out, torch.Tensor):
                    p.outputs[name] = out.detach()
                if isinstance(mod, ACTIVATIONS) and inp and isinstance(inp[0], torch.Tensor):
                    p.act_inputs[name] = (type(mod).__name__.lower(), inp[0].detach())
                if isinstance(mod, LAYERS) and name not in p.layers:
                    p.layers.append(name)

            hooks.append(mod.register_forward_hook(hook))
        out = m(xb)
        loss = loss_fn(out, yb)
        m.zero_grad(set_to_none=True)
        loss.backward()
        for h in hooks:
            h.remove()
        p.final_output = out.detach()
        p.loss = float(loss.detach())
        mods = dict(m.named_modules())
        for name in p.layers:
            w = mods[name].weight
            p.weights[name] = w.detach().clone()
            p.grads[name] = w.grad.detach().clone() if w.grad is not None else torch.zeros_like(w)
        return p
    finally:
        torch.set_rng_state(rng)
