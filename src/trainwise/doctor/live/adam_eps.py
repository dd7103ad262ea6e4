"""Whether an Adam-family optimizer's ``eps`` swamps its own gradient scale.

Adam divides each step by ``sqrt(v_hat) + eps``, ``v_hat`` being the running mean of squared
gradients (bias-corrected). ``eps`` (default 1e-8) only guards the division; set near the
gradients' scale or above (``eps=1.0``, a TF-style value meant for another formula), it
becomes the denominator, and every step shrinks to ``lr * m_hat / eps``: the update of plain
SGD with learning rate ``lr / eps``, usually far too small. Read on probed steps only (one host
transfer for all layers).
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import torch

#: eps at least this many times the typical sqrt(v_hat) is the denominator, not a guard
DOMINATES = 10.0


def eps_domination(
    optimizer: torch.optim.Optimizer | None, params: list[tuple[str, torch.Tensor]]
) -> dict[str, Any] | None:
    """``{"eps", "grad_rms", "optimizer"}`` when ``optimizer`` keeps Adam's ``exp_avg_sq``
    and its ``eps`` is at least :data:`DOMINATES` times the median (over ``params``) of the
    root-mean ``v_hat``; else None.

    Example::

        >>> w = torch.nn.Parameter(torch.ones(4))
        >>> opt = torch.optim.Adam([w], lr=1e-3, eps=1.0)
        >>> w.grad = torch.full((4,), 0.01); opt.step()
        >>> eps_domination(opt, [("w", w)])["eps"]
        1.0
    """
    if optimizer is None:
        return None
    rows = []
    for group in optimizer.param_groups:
        eps, betas = group.get("eps"), group.get("betas")
        if not isinstance(eps, (int, float)) or not isinstance(betas, (tuple, list)):
            continue
        held = {id(p) for p in group["params"]}
        for _, p in params:
            state = optimizer.state.get(p) if id(p) in held else None
            if not state or "exp_avg_sq" not in state or "step" not in state:
                continue
            t = float(state["step"])
            if t < 1:
                continue
            correction = 1 - float(betas[1]) ** t
            rows.append((float(eps), state["exp_avg_sq"].detach().float().mean() / correction))
    if not rows:
        return None
    with torch.no_grad():
        means = torch.stack([r[1].to(rows[0][1].device) for r in rows]).tolist()
    rms = statistics.median(math.sqrt(max(m, 0.0)) for m in means)
    eps = max(r[0] for r in rows)
    if not eps >= DOMINATES * rms:
        return None
    return {"eps": eps, "grad_rms": rms, "optimizer": type(optimizer).__name__}
