"""One batch through the model, without side effects, for the output-based checks.

The forward pass runs in eval mode (the previous mode of every module
is restored afterwards) inside ``torch.random.fork_rng``, so dropout masks or any other
random draw in ``forward`` do not move the caller's RNG streams: a run with the preflight
gives the same weights as one without it. Autograd stays on for that one pass so the output
tensor remembers the operation that produced it (``op``: "Sigmoid", "Softmax", ...), which
tells a sigmoid at the end of the model apart from raw scores that happen to lie in [0, 1].
Cost: one forward pass of at most 64 samples and its graph, freed at once.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from trainwise.doctor.preflight.arrays import as_array, finite_rows, rows, sample_indices


class ModelOutputs(NamedTuple):
    out: torch.Tensor  # detached float32 CPU outputs
    idx: np.ndarray  # rows of x they belong to
    op: str | None  # the operation that produced them (see :func:`output_op`)


#: operations that only move values around: looked through to the op that made the values
SHAPE_OPS = {
    "View", "Reshape", "UnsafeView", "Squeeze", "Unsqueeze", "Flatten", "Clone", "Expand",
    "Permute", "Transpose", "T", "Select", "Slice", "Contiguous", "ToCopy", "Alias",
}  # fmt: skip


def output_op(t: Any) -> str | None:
    """The name of the autograd operation that produced ``t``'s values ("Sigmoid", "Softmax",
    "Addmm", ...), looking through reshapes and copies (a ``Flatten`` after the sigmoid does
    not hide it); None for a tensor without history (made under no_grad, or a leaf).

    >>> x = torch.zeros(2, 1, requires_grad=True)
    >>> output_op(torch.sigmoid(x).flatten())
    'Sigmoid'
    """
    fn = getattr(t, "grad_fn", None)
    for _ in range(32):  # a bounded walk: graphs of shape ops are short
        if fn is None:
            return None
        name = type(fn).__name__
        for suffix in ("Backward0", "Backward1", "Backward"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        if name not in SHAPE_OPS:
            return name
        nxt = [f for f, _ in fn.next_functions if f is not None]
        fn = nxt[0] if nxt else None
    return None


def _first_tensor(out: Any) -> torch.Tensor | None:
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (list, tuple)) and out and isinstance(out[0], torch.Tensor):
        return out[0]
    return None


def model_outputs(
    model: nn.Module, x: Any, *, max_rows: int = 64, seed: int = 0
) -> ModelOutputs | None:
    """The model's outputs on up to ``max_rows`` finite training samples (a seeded sample),
    with the row indices used and the operation that produced them; None when the forward
    pass fails (the trainer reports shape errors itself with its own message).

    Example::

        >>> out, idx, op = model_outputs(nn.Linear(3, 2), np.ones((10, 3), dtype=np.float32))
        >>> tuple(out.shape), idx.tolist()[:3], op
        ((10, 2), [0, 1, 2], 'Addmm')
    """
    arr = as_array(x, "x_train")
    if len(arr) == 0:
        return None
    idx = sample_indices(len(arr), max_rows, seed)
    idx = idx[finite_rows(rows(arr[idx]))]
    if len(idx) == 0:
        return None
    params = list(model.parameters()) + list(model.buffers())
    device = params[0].device if params else torch.device("cpu")
    dtype = next((p.dtype for p in params if p.is_floating_point()), torch.float32)
    raw = torch.as_tensor(np.ascontiguousarray(arr[idx])).to(device)
    # float inputs in the model's dtype; integer inputs (pixels, token ids) as floats first,
    # then as they are if the model refuses floats (an embedding wants integer ids)
    tries = [raw.to(dtype)] + ([] if raw.is_floating_point() else [raw])
    modes = {m: m.training for m in model.modules()}
    cuda = [device.index or 0] if device.type == "cuda" else []
    out, error = None, None
    try:
        with torch.random.fork_rng(devices=cuda), torch.enable_grad():
            model.eval()
            for batch in tries:
                try:
                    out = _first_tensor(model(batch))
                    break
                except Exception as exc:  # the trainer reports a broken model in its own words
                    error = exc
    finally:
        for m, mode in modes.items():
            m.training = mode
    if out is None and error is not None:
        warnings.warn(f"preflight: the model's forward pass failed ({error!r})", stacklevel=2)
    if out is None:
        return None
    return ModelOutputs(out.detach().float().cpu(), idx, output_op(out))
