"""What the :class:`~trainwise.doctor.doctor.Doctor` hands its curve rules: each epoch's logs
with the optimizer's learning rates, and what it knows of the run (length, task, classes, split
sizes, the training data for a lazy reference model)."""

from __future__ import annotations

import math
from typing import Any

import torch


def epoch_logs(
    logs: dict[str, Any],
    epoch_lrs: tuple[float | None, float | None],
    optimizer: torch.optim.Optimizer | None,
) -> dict[str, Any]:
    """The epoch's logs plus the LR at its first and last step (``lr_start``, ``lr_end``) and
    the scheduler's base LR (``lr_base``, torch's ``initial_lr``), so the curve rules can tell
    a warm-up from a stall even on the first epoch.

    >>> epoch_logs({"loss": 1.0}, (0.01, 0.1), None)
    {'loss': 1.0, 'lr_start': 0.01, 'lr_end': 0.1}
    """
    out = dict(logs)
    start, end = epoch_lrs
    if start is not None and end is not None:
        out |= {"lr_start": start, "lr_end": end}
        base = optimizer.param_groups[0].get("initial_lr") if optimizer else None
        if isinstance(base, (int, float)) and base > 0:
            out["lr_base"] = float(base)
    return out


def curve_facts(
    *,
    total_epochs: int | None,
    total_steps: int | None,
    steps_done: int,
    task: str | None,
    num_classes: int | None,
    regularization: dict[str, Any],
    n_val: int | None,
    train_xy: tuple | None,
) -> dict[str, Any]:
    """The keyword arguments of :class:`~trainwise.doctor.curves.CurveRules`: the planned
    epochs (from ``total_steps`` over the first epoch's ``steps_done`` when not given), task,
    classes (2 or more, else None), validation size, and a reference model on ``train_xy``
    computed only when a rule asks for it.

    >>> curve_facts(total_epochs=None, total_steps=100, steps_done=30, task=None,
    ...             num_classes=1, regularization={}, n_val=None, train_xy=None)["total_epochs"]
    4
    """
    if total_epochs is None and total_steps and steps_done > 0:
        total_epochs = max(1, math.ceil(total_steps / steps_done))

    def reference():
        # lazy: start-up time (the curves package loads scipy.stats: seconds)
        from trainwise.doctor.curves.reference_accuracy import reference_accuracy

        return reference_accuracy(*train_xy)

    return {
        "total_epochs": total_epochs,
        "regularization": regularization or None,
        "task": task,
        "num_classes": num_classes if num_classes is not None and num_classes >= 2 else None,
        "n_val": n_val,
        "reference": reference if train_xy is not None else None,
    }


def class_counts(y: Any, task: str) -> dict[int, int] | None:
    """Samples per class label of integer-valued 1-D targets (None for regression, absent or
    other targets).

    >>> class_counts(torch.tensor([0, 1, 1]), "classification")
    {0: 1, 1: 2}
    """
    if task == "regression" or y is None:
        return None
    t = torch.as_tensor(y)
    if t.ndim != 1 or t.is_floating_point() and not bool((t == t.round()).all()):
        return None
    values, counts = torch.unique(t.long(), return_counts=True)
    return dict(zip(values.tolist(), counts.tolist()))


def split_rows(y: Any) -> int | None:
    """Sample count of a split's targets (None when absent or empty).

    >>> split_rows([1, 2, 3]), split_rows(None), split_rows([])
    (3, None, None)
    """
    try:
        n = len(y) if y is not None else 0
    except TypeError:
        return None
    return n or None
