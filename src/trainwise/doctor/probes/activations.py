"""Activation statistics from forward hooks, attached only for the step being probed.

For every ReLU module: which units (dim 1: features or channels) were non-zero for at least
one sample of the batch (a unit zero for every sample and position is *dead* here). For every
sigmoid/tanh module: the share of outputs in the flat tails, where the local derivative is
below 1% of its maximum (sigmoid: ``y(1-y) < 0.0025``, i.e. ``|x| > 6``; tanh:
``1 - y^2 < 0.01``, i.e. ``|x| > 3``). Every leaf module also records its call order, which
gives the forward order of layers. Written by hand: torch has hooks but no such statistics.

Cost: one reduction per hooked module per probed forward; nothing at all on other steps,
because the hooks are removed after the probe. Hooks only read (they return None) and skip
forwards without grad (validation), so results never change.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

RELU_TYPES = (nn.ReLU, nn.ReLU6)
SATURATING = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}


def activation_kind(module: nn.Module) -> str | None:
    """ "relu", "sigmoid", "tanh" or None for modules without statistics."""
    if isinstance(module, RELU_TYPES):
        return "relu"
    for cls, kind in SATURATING.items():
        if isinstance(module, cls):
            return kind
    return None


def saturated_mask(y: torch.Tensor, kind: str) -> torch.Tensor:
    """Outputs where the activation's derivative is below 1% of its maximum.

    >>> saturated_mask(torch.sigmoid(torch.tensor([0.0, 7.0, -7.0])), "sigmoid").tolist()
    [False, True, True]
    """
    if kind == "sigmoid":
        return y * (1 - y) < 0.0025
    return 1 - y * y < 0.01


def relu_alive(y: torch.Tensor) -> torch.Tensor:
    """Per unit (dim 1) of a ReLU's output: True where some sample or position is positive
    (an (N,) output: per element).

    A ReLU (or ReLU6) outputs only values >= 0 or NaN, so "some value > 0" is "the sum
    ignoring NaN > 0": 4-8x cheaper than comparing every value and reducing the booleans over
    a transposed copy, and the same answer (NaN counts as not positive in both; a sum of
    values >= 0 is 0 only when all are, and cannot round to 0 otherwise). The samples are
    summed first (dim 0: whole rows added, a contiguous reduction), then each unit's
    positions: 2-4x cheaper than one reduction over dims (0, 2, ...), the same booleans.

    >>> relu_alive(torch.tensor([[[0.0, 2.0], [0.0, 0.0]], [[float("nan"), 0.0], [0.0, 0.0]]]))
    tensor([ True, False])
    """
    if y.ndim == 1:
        return y > 0
    per_unit = y.nansum(dim=0)
    if per_unit.ndim > 1:
        per_unit = per_unit.nansum(dim=tuple(range(1, per_unit.ndim)))
    return per_unit > 0


def leaf_modules(model: nn.Module) -> list[tuple[str, nn.Module, str | None, bool]]:
    """``(name, module, activation kind or None, has parameters of its own)`` for every leaf
    module (one without children), in registration order.

    >>> [(n, k, p) for n, _, k, p in leaf_modules(nn.Sequential(nn.Linear(2, 2), nn.ReLU()))]
    [('0', None, True), ('1', 'relu', False)]
    """
    out = []
    for name, module in model.named_modules():
        if next(iter(module.children()), None) is not None:
            continue  # containers: their leaves report
        has_params = next(module.parameters(recurse=False), None) is not None
        out.append((name, module, activation_kind(module), has_params))
    return out


class ActivationProbe:
    """Hooks on every leaf module of ``model`` for one probed step.

    After the step: ``order`` (leaf module names in call order), ``stats()`` ->
    ``{name: {"kind", "units", "dead", "saturated", "output_layer"}}``; ``alive`` holds the
    per-unit "non-zero somewhere" masks of ReLU modules (for dead units across probes).

    Example::

        probe = ActivationProbe(model).attach()
        loss_fn(model(x), y).backward()
        probe.detach(); probe.stats()["1"]["dead"]     # share of dead units after layer "1"
    """

    def __init__(
        self,
        model: nn.Module,
        known_order: list[str] | None = None,
        leaves: list[tuple[str, nn.Module, str | None, bool]] | None = None,
    ):
        self.model = model
        # once the call order of the leaves is known (from the first probe), only the
        # activation modules need hooks: a GELU-only net then probes with no hook at all
        self.known_order = known_order
        #: :func:`leaf_modules` of the model (default None: walked at ``attach``); a Prober
        #: walks the model once and hands the list to each probe
        self.leaves = leaves
        self.handles: list[Any] = []
        self.order: list[str] = []
        self._seen: set[str] = set()
        self.alive: dict[str, torch.Tensor] = {}
        self._sat: dict[str, list[torch.Tensor]] = {}
        self._kind: dict[str, str] = {}
        self._has_params: dict[str, bool] = {}

    def attach(self) -> ActivationProbe:
        leaves = self.leaves if self.leaves is not None else leaf_modules(self.model)
        for name, module, kind, has_params in leaves:
            if kind:
                self._kind[name] = kind
            self._has_params[name] = has_params
            if kind or self.known_order is None:
                self.handles.append(module.register_forward_hook(self._hook(name, kind)))
        return self

    def detach(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles.clear()

    def _hook(self, name: str, kind: str | None):
        def hook(module, args, out):
            if not (torch.is_grad_enabled() and module.training):
                return None  # validation or inference forward: not the probed step
            if name not in self._seen:
                self._seen.add(name)
                self.order.append(name)
            if kind is None or not isinstance(out, torch.Tensor) or out.ndim < 1:
                return None
            with torch.no_grad():
                y = out.detach()
                if kind == "relu":
                    alive = relu_alive(y)
                    old = self.alive.get(name)
                    same = old is not None and old.shape == alive.shape
                    self.alive[name] = alive | old if same else alive
                else:
                    self._sat.setdefault(name, []).append(saturated_mask(y, kind).float().mean())
            return None

        return hook

    def output_layers(self) -> set[str]:
        """Activation modules called after the last module with parameters: the model's
        output activation (a sigmoid before BCE is saturated when the model is right)."""
        order = self.known_order if self.known_order is not None else self.order
        last = max((i for i, n in enumerate(order) if self._has_params.get(n)), default=-1)
        return {n for n in order[last + 1 :] if n in self._kind}

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per activation module in call order: ``{"kind", "units", "dead", "output_layer"}``
        (ReLU) or ``{"kind", "saturated", "output_layer"}`` (sigmoid/tanh); the shares of
        every module come to the host in one read."""
        outs = self.output_layers()
        names, shares = [], []
        for name in self.known_order if self.known_order is not None else self.order:
            kind = self._kind.get(name)
            if kind == "relu" and name in self.alive:
                shares.append(self.alive[name].float().mean())
            elif kind in ("sigmoid", "tanh") and name in self._sat:
                shares.append(torch.stack(self._sat[name]).mean())
            else:
                continue
            names.append(name)
        if not names:
            return {}
        values = torch.stack([v.to(shares[0].device) for v in shares]).tolist()
        result: dict[str, dict[str, Any]] = {}
        for name, v in zip(names, values):
            kind = self._kind[name]
            if kind == "relu":
                units = int(self.alive[name].numel())
                result[name] = {"kind": kind, "units": units, "dead": 1.0 - v}
            else:
                result[name] = {"kind": kind, "saturated": v}
            result[name]["output_layer"] = name in outs
        return result
