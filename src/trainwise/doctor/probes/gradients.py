"""Per-parameter gradient norms, read from ``.grad`` after the backward pass."""

from __future__ import annotations

import math

import torch

from trainwise.doctor.probes.norms import norms


def grad_stats(params: list[tuple[str, torch.Tensor]]) -> dict[str, dict[str, float | str]]:
    """For each ``(name, parameter)``: ``{"norm", "rms", "status"}`` where status is "ok",
    "none" (no ``.grad``: the parameter took no part in the loss) or "zero" (a gradient that
    is exactly zero everywhere). ``rms = norm / sqrt(numel)`` compares layers of different
    sizes. The norms in one call (:func:`~trainwise.doctor.probes.norms.norms`) and one host
    transfer for all of them.

    >>> w = torch.nn.Parameter(torch.ones(2, 2)); w.grad = torch.full((2, 2), 3.0)
    >>> grad_stats([("w", w)])["w"]
    {'norm': 6.0, 'rms': 3.0, 'status': 'ok'}
    """
    out: dict[str, dict[str, float | str]] = {}
    names, grads = [], []
    for name, p in params:
        if p.grad is None:
            out[name] = {"norm": 0.0, "rms": 0.0, "status": "none"}
        else:
            names.append(name)
            grads.append(p.grad.detach())
    if grads:
        with torch.no_grad():
            values = torch.stack(norms(grads)).tolist()
        for name, g, n in zip(names, grads, values):
            status = "zero" if n == 0.0 else "ok"
            out[name] = {"norm": n, "rms": n / math.sqrt(max(g.numel(), 1)), "status": status}
    return out
