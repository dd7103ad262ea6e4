"""How ``tw.fit`` puts the doctor on a run: build it from what fit already knows (model,
optimizer, loss, planned steps, regularization), run the preflight checks on the data in the
order training will see it, and hand back the callback that feeds it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from trainwise.doctor.callback import DoctorCallback
from trainwise.doctor.doctor import Doctor
from trainwise.doctor.finding import Finding
from trainwise.errors import ArgumentTypeError

#: Keyword options ``tw.fit(doctor={...})`` passes on to :class:`Doctor`.
OPTIONS = ("probe_every", "read_every")


def regularization_of(
    model: nn.Module, optimizer: torch.optim.Optimizer, reg_cfg=None, loss_cfg=None
) -> dict[str, Any]:
    """The regularization strengths the curve rules weigh (for ``over_regularized``)."""
    reg: dict[str, Any] = {
        "weight_decay": max((g.get("weight_decay", 0.0) or 0.0) for g in optimizer.param_groups),
        "optimizer": type(optimizer).__name__.lower(),
        "dropout": max(
            (m.p for m in model.modules() if isinstance(m, nn.modules.dropout._DropoutNd)),
            default=0.0,
        ),
    }
    if reg_cfg is not None:
        reg["l1"], reg["l2"] = float(reg_cfg.l1 or 0.0), float(reg_cfg.l2 or 0.0)
    smoothing = getattr(loss_cfg, "label_smoothing", None)
    if smoothing:
        reg["label_smoothing"] = float(smoothing)
    return reg


def attach_doctor(
    options: bool | dict,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn,
    task: str,
    train,
    val=None,
    test=None,
    *,
    epochs: int,
    steps_per_epoch: int,
    regularization: dict[str, Any] | None = None,
    echo: Callable[[str], Any] | None = None,
) -> tuple[Doctor, DoctorCallback]:
    """Build the run's :class:`Doctor`, run preflight, return it and its callback.

    ``doctor.detected_at`` maps each finding's key to the optimizer step at which it was first
    reported (0 for preflight); the seeded-fault suite measures detection delay with it. A
    finding the doctor's batched read brings late is dated by the step that was judged
    (``doctor.judged_steps``), as if read at once: the echo itself comes at the read, at most
    ``read_every`` steps later.
    """
    kwargs = {}
    if isinstance(options, dict):
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise ArgumentTypeError(
                f"doctor: {unknown[0]!r} is not a doctor option; allowed: {', '.join(OPTIONS)}"
            )
        kwargs = dict(options)
    detected: dict[tuple, int] = {}
    holder: list[Doctor] = []

    def on_finding(f: Finding) -> None:
        detected.setdefault(f.key, holder[0].judged_steps if holder else 0)
        if echo is not None:
            echo(f"doctor: {f}")

    doctor = Doctor(
        model,
        optimizer,
        task=task,
        loss_fn=loss_fn,
        total_steps=max(1, epochs * steps_per_epoch),
        total_epochs=epochs,
        echo=on_finding,
        regularization=regularization,
        **kwargs,
    )
    holder.append(doctor)
    doctor.detected_at = detected
    xy = _tensors(train, ordered=True)
    if xy is not None:
        v, t = _tensors(val), _tensors(test)
        doctor.check_data(
            *xy,
            x_val=v[0] if v else None,
            y_val=v[1] if v else None,
            x_test=t[0] if t else None,
            y_test=t[1] if t else None,
            task=task,
        )
    return doctor, DoctorCallback(doctor)


def _tensors(batches, ordered: bool = False):
    """``(x, y)`` of in-memory data; with ``ordered``, in the order of the first epoch, so
    data that is sorted but shuffled by the loop is not called unshuffled."""
    if batches is None or not hasattr(batches, "x"):
        return None  # a DataLoader: preflight needs the whole data; the live rules still run
    x, y = batches.x, batches.y
    if ordered:
        order = batches.order(0)
        if order is not None:
            x, y = x[order], y[order]
    return x, y


def summary_lines(findings: list[Finding]) -> list[str]:
    """The end-of-run summary: one line per finding, most severe first."""
    if not findings:
        return ["doctor: no problems found"]
    lines = [f"doctor: {len(findings)} finding{'s' * (len(findings) != 1)}"]
    lines += [f"  {i}. {f}" for i, f in enumerate(findings, 1)]
    return lines
