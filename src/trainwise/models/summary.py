"""Keras-style ``model.summary()`` for any torch module: layers, output shapes, parameters.

Shapes come from forward hooks on a 1-sample zero batch (eval mode, no gradients); parameter
counts from the modules themselves, so layers the forward never reaches are listed too (with
no shape). Counts are of ``nn.Parameter`` entries only; BatchNorm's running mean/var are
buffers, not parameters (Keras counts them as "non-trainable params", torch does not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from torch import nn

from trainwise.errors import ArgumentTypeError, TrainwiseError
from trainwise.models.input_shape import normalize_shape
from trainwise.models.modes import dummy_batch, evaluating
from trainwise.models.shape_check import check_input_shape, first_shape


class SummaryRow(NamedTuple):
    """One layer: ``name`` (from ``named_modules``), ``type`` (class name), ``output_shape``
    (without the batch dim; None if the forward did not reach it), ``params`` (its own)."""

    name: str
    type: str
    output_shape: tuple[int, ...] | None
    params: int


@dataclass
class ModelSummary:
    """The result of :func:`model_summary`; ``str(summary)`` is :meth:`render`."""

    rows: list[SummaryRow]
    total_params: int
    trainable_params: int
    model_name: str = ""
    input_shape: tuple[int, ...] = field(default_factory=tuple)

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def render(self) -> str:
        """A fixed-width table (name (type) | output shape | params) with totals under it.

        >>> print(model_summary(nn.Sequential(nn.Linear(4, 2)), (4,)).render())
        Model: Sequential, input (N, 4)
        ====================================
        Layer (type)   Output shape   Params
        ====================================
        0 (Linear)     (N, 2)             10
        ====================================
        Total params: 10
        Trainable params: 10
        Non-trainable params: 0
        """
        cells = [
            (
                f"{row.name or '(model)'} ({row.type})",
                "-" if row.output_shape is None else _shape_text(row.output_shape),
                f"{row.params:,}",
            )
            for row in self.rows
        ]
        header = ("Layer (type)", "Output shape", "Params")
        widths = [max(len(c[i]) for c in [header, *cells]) for i in range(3)]

        def line(c: tuple[str, str, str]) -> str:
            return f"{c[0]:<{widths[0]}}   {c[1]:<{widths[1]}}   {c[2]:>{widths[2]}}"

        rule = "=" * (sum(widths) + 6)
        lines = [f"Model: {self.model_name}, input {_shape_text(self.input_shape)}", rule]
        lines += [line(header), rule, *[line(c) for c in cells], rule]
        lines += [
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(["N", *map(str, shape)]) + ")"


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameter values in ``model`` (shared parameters counted once).

    Default ``trainable_only=False``; True counts only ``requires_grad`` parameters.

    >>> count_params(nn.Linear(40, 10))
    410
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def model_summary(model: nn.Module, input_shape: Sequence[int] | None = None) -> ModelSummary:
    """Summarize ``model`` for per-sample ``input_shape`` (batch dim excluded; None: the
    model's own ``input_shape`` attribute, which trainwise models have).

    Rows are the leaf modules (and any module holding parameters directly) in the order the
    forward runs them, then modules it never ran; each row's ``params`` are the module's own,
    so the rows add up to ``total_params`` (= sum of ``p.numel()``). A forward that fails
    raises the :class:`ModelError` of :func:`check_input_shape`, naming the layer.

    >>> from trainwise.models.build import build_model
    >>> model = build_model({"name": "mlp", "hidden": [16], "norm": "none"}, (40,), 10)
    >>> model_summary(model).total_params == 40 * 16 + 16 + 16 * 10 + 10
    True
    """
    if input_shape is None:
        input_shape = getattr(model, "input_shape", None)
        if input_shape is None:
            raise ArgumentTypeError(
                "input_shape: None is not allowed here; the model has no input_shape attribute, "
                "so give the per-sample shape, e.g. (1, 40)"
            )
    shape = normalize_shape(input_shape)
    listed = [
        (name, module)
        for name, module in model.named_modules()
        if not any(True for _ in module.children())
        or any(True for _ in module.parameters(recurse=False))
    ]
    shapes: dict[int, tuple[int, ...] | None] = {}
    order: list[int] = []

    def hook(module: nn.Module, args: tuple, output: object) -> None:
        if id(module) not in shapes:
            order.append(id(module))
        out = first_shape(output)
        shapes[id(module)] = out[1:] if out else None

    handles = [module.register_forward_hook(hook) for _, module in listed]
    try:
        with evaluating(model):
            model(dummy_batch(model, shape, 1))
    except TrainwiseError:
        raise
    except Exception:
        for handle in handles:
            handle.remove()
        handles = []
        check_input_shape(model, shape)  # raises the ModelError that names the layer
        raise  # the 2-sample check passed, so the failure is not about shapes: re-raise it
    finally:
        for handle in handles:
            handle.remove()

    rank = {key: i for i, key in enumerate(order)}
    listed.sort(key=lambda item: rank.get(id(item[1]), len(rank)))  # unrun modules last
    seen: set[int] = set()
    rows = []
    for name, module in listed:
        own = 0
        for p in module.parameters(recurse=False):
            if id(p) not in seen:
                seen.add(id(p))
                own += p.numel()
        rows.append(SummaryRow(name, type(module).__name__, shapes.get(id(module)), own))
    return ModelSummary(
        rows=rows,
        total_params=count_params(model),
        trainable_params=count_params(model, trainable_only=True),
        model_name=type(model).__name__,
        input_shape=shape,
    )
