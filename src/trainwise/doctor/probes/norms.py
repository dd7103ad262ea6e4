"""Euclidean norms of many tensors in one call, for the probes' gradient and update reads.

A probe reads one norm per parameter (gradients, updates, weights). A Python loop of
``torch.linalg.vector_norm`` pays the dispatcher once per tensor; ``torch._foreach_norm`` (what
``torch.nn.utils.clip_grad_norm_`` uses) takes the whole list in one call: on CPU it runs the
same per-tensor kernel (bit for bit the loop's numbers), on a GPU one fused kernel (equal
within float rounding). Each tensor is read as ``.float()`` (float32), as the loop did.
"""

from __future__ import annotations

import torch


def norms(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """The L2 norm of each tensor, as 0-d tensors on its device (no host read).

    Dense tensors go through one ``torch._foreach_norm`` call; lists the op refuses (a sparse
    tensor), or a torch without it, fall back to ``torch.linalg.vector_norm`` per tensor.

    >>> [float(n) for n in norms([torch.tensor([3.0, 4.0]), torch.ones(4, dtype=torch.half)])]
    [5.0, 2.0]
    """
    if not tensors:
        return []
    with torch.no_grad():
        floats = [t.detach().float() for t in tensors]  # float32 ones: no copy
        if hasattr(torch, "_foreach_norm") and all(t.layout == torch.strided for t in floats):
            try:
                return list(torch._foreach_norm(floats))
            except (RuntimeError, NotImplementedError):
                pass  # e.g. tensors a backend's foreach kernels do not take: the plain loop
        return [torch.linalg.vector_norm(t) for t in floats]
