"""The learning rate a run was configured with, as the optimizer's first param group records it.

Torch schedulers keep the value they scale in ``group["initial_lr"]`` (a ``LambdaLR`` factor of
1 gives exactly it); ``OneCycleLR`` also stores the top of its cycle as ``group["max_lr"]``,
which it reaches on purpose. A loop that sets ``group["lr"]`` by hand leaves neither, and then
the value given to the optimizer's constructor (``optimizer.defaults["lr"]``) is the one the
user wrote down. All are plain Python floats on the host: reading them is free.
"""

from __future__ import annotations

import math
from typing import Any


def configured_lr(optimizer: Any) -> tuple[float, str] | None:
    """``(lr, where it was read)`` for the first param group, or None when there is no positive
    finite value (no optimizer, a tensor LR, an LR of 0).

    Order: ``max_lr`` (a one-cycle schedule's peak), ``initial_lr`` (any torch scheduler), the
    constructor's ``lr``.

    >>> import torch
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.05)
    >>> configured_lr(opt)
    (0.05, "the optimizer's lr")
    >>> _ = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.0)
    >>> configured_lr(opt)
    (0.05, 'initial_lr')
    """
    groups = getattr(optimizer, "param_groups", None)
    if not groups:
        return None
    group = groups[0]
    candidates = (
        (group.get("max_lr"), "max_lr"),
        (group.get("initial_lr"), "initial_lr"),
        (getattr(optimizer, "defaults", {}).get("lr"), "the optimizer's lr"),
    )
    for value, where in candidates:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value) and value > 0:
                return float(value), where
    return None


def cyclic_schedule(optimizer: Any) -> bool:
    """True when a cyclic scheduler (``CyclicLR``, ``OneCycleLR``) drives the first group: they
    cycle the momentum with the LR and leave ``max_momentum`` in the group (the default), so an
    LR that rises well past ``initial_lr`` is their plan, not a mistake.

    >>> import torch
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    >>> cyclic_schedule(opt)
    False
    >>> _ = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1)
    >>> cyclic_schedule(opt)
    True
    """
    groups = getattr(optimizer, "param_groups", None)
    return bool(groups) and ("max_momentum" in groups[0] or "max_lr" in groups[0])
