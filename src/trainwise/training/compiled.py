"""``training.compile: true``: the training step runs a ``torch.compile``'d model, and falls back
to the plain module on any step where someone has added a forward hook since compiling.

Why the fallback: a compiled graph does not call forward hooks added after it was traced
(dynamo does not guard on module hook dicts by default), so the doctor's probes, which attach
activation hooks for one sparse step and remove them afterwards, would silently see nothing.
Running those steps eagerly keeps every probe: the same module, the same weights and buffers,
only without the compiled kernels. Hooks that were already there when compiling are traced
into the graph and need no fallback. ``eager_steps`` counts the fallbacks so the run can say
how many steps ran uncompiled.

Cost on an ordinary step: comparing one integer (torch's global hook-handle counter) with its
last value; the module scan runs only on a step after a hook was registered somewhere.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


def _hook_ids(model: nn.Module) -> set[tuple[int, int]]:
    return {
        (id(m), key)
        for m in model.modules()
        for hooks in (m._forward_hooks, m._forward_pre_hooks)
        for key in hooks
    }


def _handle_counter() -> int | None:
    """torch's counter of hook handles ever made (any hook, anywhere): unchanged means no hook
    was added since the last look. None when a torch version lacks it (then always scan)."""
    return getattr(RemovableHandle, "next_id", None)


class CompiledModel:
    """A model's compiled forward, with the eager fallback described in the module doc.

    Args:
        model: the module being trained (it stays the one whose ``state_dict`` is saved).
        compile_kwargs: passed to ``torch.compile`` (default none: torch's defaults).

    Example::

        net = CompiledModel(model)
        out = net.pick()(x)   # compiled, or ``model`` itself on a probed step
        net.eager_steps       # how many steps ran uncompiled so far
    """

    def __init__(self, model: nn.Module, **compile_kwargs):
        self.model = model
        self.compiled = torch.compile(model, **compile_kwargs)
        self.baseline = _hook_ids(model)
        self.eager_steps = 0
        self._clean_at = _handle_counter()  # counter value when no extra hook was present

    def has_new_hooks(self) -> bool:
        """True when a forward (pre-)hook is on the model that was not there when compiling."""
        counter = _handle_counter()
        if counter is not None and counter == self._clean_at:
            return False
        extra = bool(_hook_ids(self.model) - self.baseline)
        if not extra:
            self._clean_at = counter
        return extra

    def pick(self, count: bool = True) -> nn.Module:
        """The module to run this step: the compiled one, or the plain one when hooks were
        added after compiling (counted in ``eager_steps`` when ``count``)."""
        if self.has_new_hooks():
            self.eager_steps += count
            return self.model
        return self.compiled
