"""``training.compile: true``: the training step runs a ``torch.compile``'d model, and falls back
to the plain module on any step where the model has forward hooks.

Why the fallback: dynamo does not guard on module hook dicts by default, so a compiled graph
neither calls a forward hook added after it was traced nor stops calling one removed since.
The doctor's probes attach activation hooks for one sparse step and remove them afterwards
(the first probe's hooks are already on when the model is first called), so the compiled
graph must never see a hook: it is traced and run only on hook-free steps, and every step
with hooks runs the plain module, the same weights and buffers without the compiled kernels,
so every probe sees every layer. A user's permanent forward hook therefore makes every step
eager. ``eager_steps`` counts the fallbacks so the run can say how many steps ran uncompiled.

Cost on an ordinary step: comparing one integer (torch's global hook-handle counter) with its
value at the last hook-free scan; the module scan runs only while hooks are on, or once after a
hook was registered anywhere.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


def _has_hooks(model: nn.Module) -> bool:
    return any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


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
        self.compiled = torch.compile(model, **compile_kwargs)  # traced at its first call
        self.eager_steps = 0
        self._clean_at: int | None = None  # handle counter at the last hook-free scan

    def has_hooks(self) -> bool:
        """True when any module of the model has a forward (pre-)hook now."""
        counter = _handle_counter()
        if counter is not None and counter == self._clean_at:
            return False  # no hook made anywhere since the model was last seen hook-free
        hooked = _has_hooks(self.model)
        if not hooked:
            self._clean_at = counter
        return hooked

    def pick(self, count: bool = True) -> nn.Module:
        """The module to run this step: the compiled one, or the plain one while the model has
        forward hooks (counted in ``eager_steps`` when ``count``)."""
        if self.has_hooks():
            self.eager_steps += count
            return self.model
        return self.compiled
