"""Count the places where code reads a tensor's value on the host.

On a GPU each of ``.item()``, ``float(t)``, ``bool(t)``, ``.tolist()``, ``.numpy()`` and
``.cpu()`` waits until every kernel queued so far has finished, which serialises the host and
the device; a training step that does one per step runs at the speed of that round trip. On
CPU they cost almost nothing, so a slow GPU step can hide behind a fast CPU test: this counter
makes the reads visible on any machine (``torch.cuda.set_sync_debug_mode`` is the GPU-side
check of the same thing, see ``tests/gpu/``).

Only reads made *outside torch's own package* are counted. torch's optimizers read their step
counters with ``.item()`` (``torch/optim/optimizer.py: _get_value``), but those counters live on
the CPU even when the parameters are on a GPU (unless ``capturable``/``fused``), so they never
wait for the device; fp16's ``GradScaler.step`` reads its overflow flag, a sync inherent to
torch's design. Counting them would bury the reads that trainwise and user code can avoid.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

import torch

#: The tensor methods that copy a value to the host (``__int__`` too: ``int(t)``).
CONVERSIONS = ("item", "__float__", "__int__", "__bool__", "tolist", "numpy", "cpu")

_TORCH_DIR = os.path.dirname(torch.__file__) + os.sep


class HostSyncCounter:
    """While active (a ``with`` block), count host reads of tensors, by method and caller.

    Args:
        tag: called at each read; its value labels the read (default: None for all), e.g.
            ``lambda: trainer.global_step`` to count reads per optimizer step.

    Attributes:
        reads: list of ``(tag, method, "file:line")``, one per read, in order.

    Not thread-safe and not reentrant across threads: it patches ``torch.Tensor`` methods for
    the duration of the block (the progress bar's rich thread reads no tensors).

    Example::

        >>> import torch
        >>> with HostSyncCounter() as c:
        ...     _ = float(torch.ones(1).sum()) + torch.ones(2).sum().item()
        >>> [method for _, method, _ in c.reads]
        ['__float__', 'item']
    """

    def __init__(self, tag: Callable[[], Any] | None = None):
        self.tag = tag
        self.reads: list[tuple[Any, str, str]] = []
        self._saved: dict[str, Any] = {}
        self._busy = False  # a conversion made inside another (e.g. __format__ -> item)

    def __enter__(self) -> HostSyncCounter:
        for name in CONVERSIONS:
            self._saved[name] = torch.Tensor.__dict__.get(name)
            setattr(torch.Tensor, name, self._wrap(name, getattr(torch.Tensor, name)))
        return self

    def __exit__(self, *exc) -> None:
        for name, original in self._saved.items():
            if original is None:
                delattr(torch.Tensor, name)  # inherited from the C base class: unshadow it
            else:
                setattr(torch.Tensor, name, original)
        self._saved.clear()

    def _wrap(self, name: str, original: Callable) -> Callable:
        def counted(tensor, *args, **kwargs):
            if not self._busy:
                caller = sys._getframe(1).f_code.co_filename
                if not caller.startswith(_TORCH_DIR):
                    self._busy = True
                    try:
                        frame = sys._getframe(1)
                        where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
                        self.reads.append((self.tag() if self.tag else None, name, where))
                    finally:
                        self._busy = False
            return original(tensor, *args, **kwargs)

        counted.__name__ = name
        return counted

    def by_tag(self) -> Counter:
        """Reads per tag value (e.g. per step)."""
        return Counter(tag for tag, _, _ in self.reads)

    def by_place(self) -> Counter:
        """Reads per ``(method, "file:line")``: where to look when a budget is exceeded."""
        return Counter((method, where) for _, method, where in self.reads)
