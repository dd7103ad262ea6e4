"""Check before training that data of a given shape goes through a model, and if it does not,
say which layer refuses it, what that layer expects and what it got.

torch's own error ("mat1 and mat2 shapes cannot be multiplied (2x40 and 640x10)") names
neither the layer nor the data shape. Forward pre-hooks on every module record which modules
are mid-forward; when the forward raises, the innermost one still open is the failing layer.
This costs one 2-sample forward in eval mode without gradients (no BatchNorm statistics are
touched).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from trainwise.errors import ModelError, TrainwiseError
from trainwise.models.input_shape import normalize_shape
from trainwise.models.layers import CONV_TYPES
from trainwise.models.modes import dummy_batch, evaluating

_AXES = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}
_BATCH_NORMS = {
    nn.BatchNorm1d: "(N, C) or (N, C, L)",
    nn.BatchNorm2d: "4-D (N, C, H, W)",
    nn.BatchNorm3d: "5-D (N, C, D, H, W)",
}


def first_shape(values: object) -> tuple[int, ...] | None:
    """Shape of the first tensor in a (possibly nested) tuple/list/dict of forward arguments."""
    if isinstance(values, torch.Tensor):
        return tuple(values.shape)
    if isinstance(values, dict):
        values = list(values.values())
    if isinstance(values, (tuple, list)):
        for value in values:
            shape = first_shape(value)
            if shape is not None:
                return shape
    return None


def _channels(n: int) -> str:
    return f"{n} channel" if n == 1 else f"{n} channels"


def expectation(module: nn.Module) -> str | None:
    """What ``module`` needs from its input, in words, when that is knowable from its settings.

    >>> expectation(nn.Conv2d(3, 8, 3))
    'expects 4-D input (N, C, H, W) with 3 channels'
    """
    if isinstance(module, nn.Linear):
        return f"expects inputs whose last axis has {module.in_features} features"
    if isinstance(module, CONV_TYPES):
        d = len(module.kernel_size)
        return f"expects {d + 2}-D input {_AXES[d]} with {_channels(module.in_channels)}"
    for cls, axes in _BATCH_NORMS.items():
        if type(module) is cls:
            return f"expects {axes} input with {_channels(module.num_features)}"
    if isinstance(module, nn.LayerNorm):
        return f"expects inputs ending in {tuple(module.normalized_shape)}"
    return None


def _hint(module: nn.Module, got: tuple[int, ...] | None, data_shape: tuple[int, ...]) -> str:
    if isinstance(module, CONV_TYPES) and got is not None:
        d = len(module.kernel_size)
        if len(got) == d + 1 and len(data_shape) == d:
            wanted = ", ".join(map(str, (module.in_channels, *data_shape)))
            return f"; hint: add a channel axis, i.e. reshape the data to ({wanted})"
        if len(got) == d + 3:
            return "; hint: the data has one axis too many for this conv (or use a 2-D net)"
    if isinstance(module, nn.Linear) and got is not None and got[-1] != module.in_features:
        return (
            "; hint: the model was built for a different input size; rebuild it with "
            f"input_shape={data_shape}"
        )
    return ""


def failure_message(
    name: str,
    module: nn.Module,
    got: tuple[int, ...] | None,
    data_shape: tuple[int, ...],
    err: Exception,
) -> str:
    """The sentence :func:`check_input_shape` raises for ``module`` failing on input ``got``."""
    where = f"layer '{name}'" if name else "the model's own forward"
    expect = expectation(module) if name else None
    if expect:
        middle = f"{expect} but got {got if got is not None else 'no tensor'}"
    else:
        middle = f"failed on input {got}" if got is not None else "failed"
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return (
        f"input shape {data_shape} does not fit the model: {where} ({type(module).__name__}) "
        f"{middle}{_hint(module, got, data_shape)} (torch: {reason})"
    )


def check_input_shape(model: nn.Module, input_shape: Sequence[int]) -> tuple[int, ...]:
    """Run a 2-sample zero batch of ``input_shape`` (batch dim excluded) through ``model`` and
    return the output shape without the batch dim. If the forward fails, raise
    :class:`ModelError` naming the failing layer (its ``named_modules`` name and type), what it
    expects (Linear in_features, Conv in_channels and rank, BatchNorm features), the shape it
    got and the data shape. Runs in eval mode under ``no_grad``; every module's train/eval
    flag is restored.

    >>> check_input_shape(nn.Sequential(nn.Flatten(), nn.Linear(40, 10)), (1, 40))
    (10,)
    """
    shape = normalize_shape(input_shape)
    names = {id(module): name for name, module in model.named_modules()}
    open_calls: list[tuple[nn.Module, tuple[int, ...] | None]] = []

    def pre_hook(module: nn.Module, args: tuple) -> None:
        open_calls.append((module, first_shape(args)))

    def post_hook(module: nn.Module, args: tuple, output: object) -> None:
        # Pop up to and including this module (also drops calls whose error was caught inside).
        while open_calls:
            if open_calls.pop()[0] is module:
                break

    handles = []
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(pre_hook))
        handles.append(module.register_forward_hook(post_hook))
    try:
        with evaluating(model):
            output = model(dummy_batch(model, shape, 2))
    except TrainwiseError:
        raise
    except Exception as err:
        module, got = open_calls[-1] if open_calls else (model, None)
        name = names.get(id(module), "")
        raise ModelError(failure_message(name, module, got, shape, err)) from err
    finally:
        for handle in handles:
            handle.remove()
    out_shape = first_shape(output)
    return out_shape[1:] if out_shape else ()
