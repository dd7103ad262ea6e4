"""What the doctor needs to know about a model once: its trainable parameters, which module
owns each, which of them are layer weights, and which the optimizer does not hold."""

from __future__ import annotations

import torch
from torch import nn


class ModelLayout:
    """Names and roles of a model's trainable parameters.

    - ``params``: ``[(name, parameter)]`` of every parameter with ``requires_grad``.
    - ``weights``: names of the layer weights (2-D or more: Linear and convolution kernels),
      in forward order once :meth:`set_forward_order` was given the modules' call order
      (registration order until then). First/last-layer gradient ratios use these.
    - ``not_in_optimizer``: trainable parameter names absent from every param group.

    Example::

        layout = ModelLayout(model, optimizer)
        layout.weights            # ['0.weight', '2.weight']
        layout.module_of("2.weight")   # '2'
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer | None = None):
        self.params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        self.weights = [n for n, p in self.params if p.ndim >= 2]
        self.numel = {n: p.numel() for n, p in self.params}
        if optimizer is None:
            self.not_in_optimizer: list[str] = []
        else:
            held = {id(p) for group in optimizer.param_groups for p in group["params"]}
            self.not_in_optimizer = [n for n, p in self.params if id(p) not in held]
        self.module_order: list[str] = []  # leaf modules in call order, once a probe saw it

    @staticmethod
    def module_of(param_name: str) -> str:
        """The owning module's name ("" for a parameter of the root module)."""
        return param_name.rsplit(".", 1)[0] if "." in param_name else ""

    def set_forward_order(self, module_order: list[str]) -> None:
        """Reorder :attr:`weights` by the order their modules were first called."""
        self.module_order = list(module_order)
        rank = {m: i for i, m in enumerate(module_order)}
        big = len(rank)
        self.weights.sort(key=lambda n: rank.get(self.module_of(n), big))
