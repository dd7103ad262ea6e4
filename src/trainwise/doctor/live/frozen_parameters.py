"""``frozen_parameters``: ``requires_grad=False`` where the model needs to learn.

Judged once, at the first probe (the forward order of the layers is known then):

- every parameter frozen: nothing can train (error);
- the output layer (the last module with parameters in forward order) frozen while earlier
  ones train: the predictions can only move through the layers below it (warning);
- at least :data:`MOST` (half) of the parameter values frozen, and the frozen layer weights
  still at PyTorch's default initialization (every value inside the ``kaiming_uniform(a=√5)``
  bound ``1/sqrt(fan_in)``, spread like a uniform draw within 15%; or all equal): a frozen
  backbone that was never trained is random features for good (warning).

A frozen *trained* backbone with a trainable head is ordinary fine-tuning: its weights do not
look like a fresh uniform draw, and the rule says nothing.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule

#: share of the model's parameter values that counts as "most of the model"
MOST = 0.5
#: how far the spread of a default-initialized weight may be from a uniform draw's
SPREAD_TOL = 0.15


def at_default_init(w: torch.Tensor) -> bool:
    """True for a layer weight that looks like PyTorch's default init of Linear/Conv (or a
    constant), i.e. never trained.

    >>> at_default_init(torch.nn.Linear(64, 32).weight), at_default_init(torch.randn(32, 64))
    (True, False)
    """
    if w.ndim < 2 or w.numel() < 64:
        return False
    with torch.no_grad():
        v = w.detach().float()
        fan_in = v[0].numel()
        bound = 1.0 / math.sqrt(fan_in)
        lo, hi, std = float(v.min()), float(v.max()), float(v.std())
    if hi - lo == 0:
        return True
    uniform_std = bound / math.sqrt(3.0)
    inside = max(abs(lo), abs(hi)) <= bound * (1 + 1e-5)
    return inside and abs(std - uniform_std) <= SPREAD_TOL * uniform_std


class FrozenParameters(LiveRule):
    code = "frozen_parameters"
    severity = "warning"

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if ctx.probe is None or ctx.loop is None:
            return []
        self.done = True  # judged once
        model = ctx.loop.model
        params = list(model.named_parameters())
        frozen = [(n, p) for n, p in params if not p.requires_grad]
        if not frozen:
            return []
        total = sum(p.numel() for _, p in params)
        n_frozen = sum(p.numel() for _, p in frozen)
        share = n_frozen / total if total else 0.0
        ev = {"frozen_values": n_frozen, "values": total, "frozen_share": share}
        names = [n for n, _ in frozen]
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        if n_frozen == total:
            return [
                self.finding(
                    ctx,
                    f"Every parameter of the model is frozen (requires_grad=False on all "
                    f"{total} values), so nothing can train.",
                    Fix(
                        "set requires_grad=True on the layers to train (at least the output layer)"
                    ),
                    evidence=ev,
                    severity="error",
                )
            ]
        out = _output_layer(model, ctx.layout.module_order)
        if out is not None and not any(p.requires_grad for p in out[1].parameters(False)):
            return [
                self.finding(
                    ctx,
                    f"The output layer '{out[0]}' is frozen (requires_grad=False) while "
                    f"{share:.0%} of the model's values are frozen in all, so the predictions "
                    "can only change through the layers below it.",
                    Fix(f"set requires_grad=True on '{out[0]}' (the head must learn the task)"),
                    where=out[0],
                    evidence={**ev, "output_layer": out[0]},
                )
            ]
        if share < MOST:
            return []
        fresh = [n for n, p in frozen if at_default_init(p)]
        weights = [n for n, p in frozen if p.ndim >= 2 and p.numel() >= 64]
        if not weights or 2 * len(fresh) < len(weights):
            return []  # a trained (e.g. pretrained) backbone: fine-tuning, not a fault
        return [
            self.finding(
                ctx,
                f"{share:.0%} of the model's parameter values are frozen (requires_grad=False: "
                f"{shown}) and {len(fresh)} of their {len(weights)} layer weights are still at "
                "their random initialization, so those layers stay random features and only "
                f"{total - n_frozen} values can learn.",
                Fix(
                    "unfreeze those layers (requires_grad=True, and give them to the "
                    "optimizer), or load the pretrained weights before freezing them"
                ),
                evidence={**ev, "frozen": names, "at_init": fresh},
            )
        ]


def _output_layer(model: nn.Module, order: list[str]) -> tuple[str, nn.Module] | None:
    """The last leaf module with parameters, in forward order when known."""
    modules = dict(model.named_modules())
    names = [n for n in (order or list(modules)) if n in modules]
    with_params = [
        n
        for n in names
        if next(modules[n].children(), None) is None
        and next(modules[n].parameters(False), None) is not None
    ]
    return (with_params[-1], modules[with_params[-1]]) if with_params else None
