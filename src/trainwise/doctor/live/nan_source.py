"""Where a non-finite loss came from: the forensics behind ``nan_loss``.

Runs only after a non-finite loss. In order: the input batch itself; a loss function fed
finite outputs; parameters that were already non-finite before the failing update (a gradient
went non-finite at an earlier step); the first module whose output goes non-finite when the
step's forward pass is replayed (:func:`~trainwise.doctor.probes.nonfinite.replay_forward`,
on the pre-update weights when :meth:`Doctor.after_backward` kept them, else on the last
finite probe snapshot); else the weights diverged.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from trainwise.doctor.live.loss_track import LossTrack
from trainwise.doctor.probes import ModelLayout, all_finite, replay_forward
from trainwise.doctor.probes.nonfinite import _tensors

#: a last finite loss above this many times the start: the weights diverged step by step, so
#: parameters that are non-finite now are the end of that climb, not where it started
CLIMBED = 10.0


def keep_pre_update(layout: ModelLayout) -> dict[str, torch.Tensor]:
    """Copies of the parameters before the optimizer step spoils them (for :func:`locate`)."""
    with torch.no_grad():
        return {n: p.detach().clone() for n, p in layout.params}


def finite_flag(outputs: Any) -> torch.Tensor | None:
    """A device flag (0-dim bool tensor), true when every floating tensor in ``outputs`` is
    finite; computed without a host read, read later in the doctor's batched transfer (None
    when ``outputs`` holds no floating tensor).

    >>> bool(finite_flag((torch.ones(2), torch.tensor([float("inf")]))))
    False
    """
    flags = [torch.isfinite(t.detach()).all() for t in _tensors(outputs) if t.is_floating_point()]
    if not flags:
        return None
    device = flags[0].device
    return torch.stack([f.to(device) for f in flags]).all()


def locate(
    model: nn.Module,
    layout: ModelLayout,
    losses: LossTrack,
    snapshot: dict[str, torch.Tensor] | None,
    inputs: Any,
    outputs: Any,
    pre: dict[str, Any] | None,
    outputs_finite: bool | None = None,
) -> dict[str, Any] | None:
    """Where this step's non-finite loss came from, as ``{"source": "inputs" | "loss" |
    "params" | "module" | "diverged", ...}`` with the details ``nan_loss`` reports (None
    without ``inputs``: nothing to replay). ``snapshot``: the last probe's parameter copies;
    ``pre``: what :meth:`Doctor.after_backward` kept of this step (its ``"params"``);
    ``outputs_finite``: :func:`finite_flag` of the outputs as read, when the doctor kept the
    flag instead of the outputs (default None: look at ``outputs``)."""
    if inputs is None:
        return None
    bad = _bad_inputs(inputs)
    if bad is not None:
        return bad
    if outputs_finite is None and outputs is not None:
        outputs_finite = all_finite(outputs)
    if outputs_finite:
        return {"source": "loss"}
    with torch.no_grad():
        current_bad = [n for n, p in layout.params if not bool(torch.isfinite(p).all())]
    params = None
    if pre is not None and "params" in pre:
        pre_bad = [n for n, v in pre["params"].items() if not bool(torch.isfinite(v).all())]
        if pre_bad:
            return {
                "source": "params",
                "module": _last_module(layout, pre_bad),
                "params_nonfinite": pre_bad[:10],
            }
        params = pre["params"]
    elif current_bad and snapshot is not None:
        if all(bool(torch.isfinite(v).all()) for v in snapshot.values()):
            params = snapshot
    replayed = _replay(model, layout, inputs, params)
    if replayed is not None:
        return replayed
    start = losses.start()
    last = losses.finite_recent(1)
    if current_bad and pre is None and not (start and last and last[-1][1] > CLIMBED * start):
        return {
            "source": "params",
            "module": _last_module(layout, current_bad),
            "params_nonfinite": current_bad[:10],
        }
    return {"source": "diverged"}


def _bad_inputs(inputs: Any) -> dict[str, Any] | None:
    """The count and first sample of non-finite input values (None when all are finite)."""
    if isinstance(inputs, torch.Tensor) and inputs.is_floating_point():
        bad = ~torch.isfinite(inputs.detach())
        if not bool(bad.any()):
            return None
        rows = bad.reshape(bad.shape[0], -1).any(dim=1) if bad.ndim > 1 else bad
        return {
            "source": "inputs",
            "bad_values": int(bad.sum()),
            "first_sample": int(rows.nonzero()[0, 0]),
        }
    if all_finite(inputs):
        return None
    return {"source": "inputs", "bad_values": None, "first_sample": None}


def _replay(
    model: nn.Module,
    layout: ModelLayout,
    inputs: Any,
    params: dict[str, torch.Tensor] | None,
) -> dict[str, Any] | None:
    """The first module whose output the replayed forward pass makes non-finite, or whose own
    parameters are (None when the replay stays finite)."""
    rep = replay_forward(model, inputs, params)
    if rep["finite"]:
        return None
    module = rep["module"]
    target = model.get_submodule(module) if module else model
    values = params if params is not None else dict(layout.params)
    own = [f"{module}.{n}" if module else n for n, _ in target.named_parameters()]
    own_bad = [n for n in own if n in values and not bool(torch.isfinite(values[n]).all())]
    if own_bad:
        return {"source": "params", "module": module, "params_nonfinite": own_bad[:10]}
    return {
        "source": "module",
        "module": module,
        "culprit": rep["culprit"],
        "module_type": type(target).__name__,
        "replayed_with": "pre-update weights" if params is not None else "current weights",
    }


def _last_module(layout: ModelLayout, names: list[str]) -> str:
    """Of the parameters ``names``, the module called last in the forward pass."""
    order = {m: i for i, m in enumerate(layout.module_order)}
    params = [n for n, _ in layout.params]
    return layout.module_of(
        max(names, key=lambda n: (order.get(layout.module_of(n), -1), params.index(n)))
    )
