"""The shapes that reach the model's BatchNorm and recurrent layers, read on probed steps.

Two live rules need what a layer itself receives, not what the loop hands the doctor:
``batch_too_small_for_batchnorm`` (the batch a BatchNorm layer normalizes over) and
``sequence_dims_swapped`` (which axis an ``nn.LSTM``/``GRU``/``RNN`` without ``batch_first``
takes for time). A forward pre-hook on those modules records ``input.shape`` (a Python tuple:
no device work, no host read) and whether the module is in training mode; the hooks exist only
for a probed step, as the probes' own hooks do
(:class:`~trainwise.doctor.live.loop_watch.LoopWatch` arms and reads them).

Example::

    seen = ModuleInputs(model)
    seen.attach(); model(x); seen.detach()
    seen.shapes   # {"lstm": {"kind": "rnn", "shape": (32, 8, 8), "batch_first": False, ...}}
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

_NORMS = (nn.modules.batchnorm._BatchNorm,)


def watched_modules(model: nn.Module) -> list[tuple[str, nn.Module, str]]:
    """``[(name, module, kind)]`` for the BatchNorm ("batchnorm") and recurrent ("rnn")
    modules of ``model``.

    >>> [k for _, _, k in watched_modules(nn.Sequential(nn.BatchNorm1d(2), nn.LSTM(2, 2)))]
    ['batchnorm', 'rnn']
    """
    out = []
    for name, m in model.named_modules():
        if isinstance(m, _NORMS):
            out.append((name, m, "batchnorm"))
        elif isinstance(m, nn.RNNBase):
            out.append((name, m, "rnn"))
    return out


class ModuleInputs:
    """Records, for one forward pass, each watched module's first input shape (see the
    module doc). ``shapes`` maps module name to ``{"kind", "type", "shape", "training",
    "batch_first"}``; a module called twice keeps its first call."""

    def __init__(self, model: nn.Module):
        self.modules = watched_modules(model)
        self.shapes: dict[str, dict[str, Any]] = {}
        self._hooks: list[Any] = []

    def attach(self) -> ModuleInputs:
        self.detach()
        self.shapes = {}
        for name, m, kind in self.modules:
            self._hooks.append(m.register_forward_pre_hook(self._hook(name, kind)))
        return self

    def _hook(self, name: str, kind: str):
        def hook(module, args):
            if name in self.shapes or not args or not isinstance(args[0], torch.Tensor):
                return None  # a PackedSequence or a second call: nothing to read
            self.shapes[name] = {
                "kind": kind,
                "type": type(module).__name__,
                "shape": tuple(args[0].shape),
                "training": module.training,
                "batch_first": bool(getattr(module, "batch_first", False)),
            }
            return None  # reads only

        return hook

    def detach(self) -> None:
        for h in self._hooks:
            h.remove()
        self._hooks = []
