"""Find the first module whose output went non-finite, by re-running one forward pass.

Used only after a non-finite loss was seen (so healthy runs never pay for it). The replay runs
under ``torch.no_grad`` with ``torch.func.functional_call`` on the given parameters and on
*copies* of the buffers (BatchNorm's running statistics of the real model stay untouched), in
train mode (what the failing step ran) inside ``torch.random.fork_rng`` (dropout draws do not
advance the training RNG). So the replay cannot change the run's results.
Written by hand: ``torch.autograd.detect_anomaly`` finds the op but costs ~2x on every step.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def _tensors(x: Any) -> list[torch.Tensor]:
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for item in x for t in _tensors(item)]
    if isinstance(x, dict):
        return [t for item in x.values() for t in _tensors(item)]
    return []


def all_finite(x: Any) -> bool:
    """True when every floating tensor in ``x`` (a tensor, or nested lists/tuples/dicts of
    them) holds only finite values.

    >>> all_finite((torch.ones(2), {"a": torch.tensor([float("nan")])}))
    False
    """
    return all(bool(torch.isfinite(t).all()) for t in _tensors(x) if t.is_floating_point())


def replay_forward(
    model: nn.Module, inputs: Any, params: dict[str, torch.Tensor] | None = None
) -> dict[str, Any]:
    """Re-run ``model(inputs)`` and name the first module whose output is non-finite.

    Returns ``{"module": name or None, "culprit": "output" | "input", "finite": bool}``:
    ``culprit == "input"`` means the first bad tensor came *into* ``module`` from code outside
    any submodule (a functional op in the parent's forward), in which case ``module`` is that
    parent. ``params`` (name -> tensor) replaces the model's parameters for the replay (e.g.
    the weights before the failing update). ``finite`` is True when nothing went non-finite.

    Example::

        replay_forward(model, xb)   # {"module": "2", "culprit": "output", "finite": False}
    """
    first: dict[str, Any] = {}

    def make_hook(name: str):
        def hook(module, args, out):
            if first:
                return None
            if not all_finite(args):
                parent = name.rsplit(".", 1)[0] if "." in name else ""
                first.update(module=parent, culprit="input")
            elif not all_finite(out):
                first.update(module=name, culprit="output")
            return None

        return hook

    handles = [m.register_forward_hook(make_hook(n)) for n, m in model.named_modules() if n]
    buffers = {n: b.detach().clone() for n, b in model.named_buffers()}
    state = {**buffers, **(params or {})}
    devices = [inputs.device] if isinstance(inputs, torch.Tensor) and inputs.is_cuda else []
    args = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=devices):
            out = torch.func.functional_call(model, state, args)
    finally:
        for h in handles:
            h.remove()
    if not first and not all_finite(out):
        first.update(module="", culprit="output")  # the root's own forward code
    return {
        "module": first.get("module"),
        "culprit": first.get("culprit"),
        "finite": not first,
    }
